#!/usr/bin/env node
// `npm run openapi`: writes docs/openapi.json, the API reference generated from the code (the
// same document /api/docs-json serves). A test fails while the committed file differs from it.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { exportOpenApiDocument } = require(join(root, 'dist', 'infrastructure', 'http', 'openapi-export.js'));

const target = join(root, 'docs', 'openapi.json');
writeFileSync(target, await exportOpenApiDocument());
console.log(`openapi: wrote ${target.slice(root.length + 1)}`);

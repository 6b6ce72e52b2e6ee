#!/usr/bin/env node
// The web UI's templates and static files are not TypeScript, so tsc does not emit them: copy
// src/infrastructure/web/{templates,assets} next to the compiled web code in dist/ (or in the
// folder given as the first argument, e.g. another --outDir). Run by `npm run build` and by
// scripts/build-if-needed.mjs after tsc.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] ?? 'dist');
const from = join(root, 'src', 'infrastructure', 'web');
const to = join(outDir, 'infrastructure', 'web');

for (const folder of ['templates', 'assets']) {
  const source = join(from, folder);
  if (!existsSync(source)) continue;
  rmSync(join(to, folder), { recursive: true, force: true });
  cpSync(source, join(to, folder), { recursive: true });
}
console.log(`copy-web-assets: web templates and assets copied to ${to.slice(root.length + 1) || to}`);

// The email channel's message templates (src/plugins/email/templates/*.hbs), beside its compiled
// code, where the plugin looks first (the Docker image has dist/ but no src/).
const emailTemplates = join(root, 'src', 'plugins', 'email', 'templates');
if (existsSync(emailTemplates)) {
  const target = join(outDir, 'plugins', 'email', 'templates');
  rmSync(target, { recursive: true, force: true });
  cpSync(emailTemplates, target, { recursive: true });
  console.log(`copy-web-assets: email templates copied to ${target.slice(root.length + 1) || target}`);
}

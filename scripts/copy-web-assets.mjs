#!/usr/bin/env node
// Templates and static files are not TypeScript, so tsc does not emit them: copy
// src/infrastructure/web/{templates,assets} and the folders below next to the compiled code in
// dist/ (or in the folder given as the first argument, e.g. another --outDir). Run by `npm run build` and by
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

// Files other code reads beside itself at run time (the Docker image has dist/ but no src/):
// the email channel's message templates, the transcript templates, the chat widget's files.
const besideTheCode = [
  ['plugins', 'email', 'templates'],
  ['infrastructure', 'transcripts', 'templates'],
  ['plugins', 'chat', 'widget'],
];
for (const segments of besideTheCode) {
  const source = join(root, 'src', ...segments);
  if (!existsSync(source)) continue;
  const target = join(outDir, ...segments);
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
  console.log(`copy-web-assets: ${segments.join('/')} copied to ${target.slice(root.length + 1) || target}`);
}

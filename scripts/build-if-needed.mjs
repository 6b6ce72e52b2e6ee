#!/usr/bin/env node
// `npm start` runs this first (prestart): compile src/ to dist/ only when dist/main.js is missing
// or older than a source file, so a restart with unchanged sources starts at once.
// Prints one line saying what it did; exits non-zero when the compiler fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'dist', 'main.js');
// The compiler settings are inputs too: changing them changes the output.
const configFiles = ['tsconfig.json', 'tsconfig.build.json'].map((f) => join(root, f));

/** The first file under `dir` modified after `time` (ms), or null. */
function newerFile(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerFile(path, time);
      if (found) return found;
    } else if (statSync(path).mtimeMs > time) {
      return path;
    }
  }
  return null;
}

function reasonToBuild() {
  if (!existsSync(output)) return 'dist/main.js is missing';
  const builtAt = statSync(output).mtimeMs;
  const changed = newerFile(join(root, 'src'), builtAt) ?? configFiles.find((f) => existsSync(f) && statSync(f).mtimeMs > builtAt);
  return changed ? `${changed.slice(root.length + 1)} changed` : null;
}

const reason = reasonToBuild();
if (reason === null) {
  console.log('build-if-needed: dist/ is up to date, not building');
  process.exit(0);
}

console.log(`build-if-needed: building (${reason}) with tsc -p tsconfig.build.json`);
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = existsSync(tsc)
  ? spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.error) {
  console.error(`build-if-needed: could not run the TypeScript compiler (${result.error.message}); run npm ci first`);
  process.exit(1);
}
if (result.status !== 0) {
  // tsc emits even when it reports errors; drop main.js so the next start does not trust that output.
  rmSync(output, { force: true });
  console.error('build-if-needed: tsc reported errors (above); not starting');
  process.exit(result.status ?? 1);
}
if (!existsSync(output)) {
  console.error('build-if-needed: tsc succeeded but produced no dist/main.js: is there a src/main.ts?');
  process.exit(1);
}
// Templates and static files of the web UI (not emitted by tsc).
const copy = spawnSync(process.execPath, [join(root, 'scripts', 'copy-web-assets.mjs')], { cwd: root, stdio: 'inherit' });
if (copy.status !== 0) {
  rmSync(output, { force: true });
  console.error('build-if-needed: copying the web UI templates failed; not starting');
  process.exit(copy.status ?? 1);
}

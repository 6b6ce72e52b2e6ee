import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The folder that holds `templates/` and `assets/`: next to this file, where `npm run build`
 * copies them (dist/infrastructure/web) and where they live in the sources (src/infrastructure/web).
 * A build made by tsc alone (no copy step, e.g. a test harness's build) falls back to the sources
 * of the repository it was built in.
 */
export function webRoot(): string {
  if (existsSync(join(__dirname, 'templates'))) return __dirname;
  for (let dir = resolve(__dirname); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'infrastructure', 'web');
    if (existsSync(join(candidate, 'templates'))) return candidate;
  }
  throw new Error(`web UI templates not found next to ${__dirname} nor in a src/infrastructure/web above it; run npm run build`);
}

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * docs/configuration.md documents every setting the configuration reads: a variable added to
 * src/infrastructure/config/config.ts without a row there fails here, naming it.
 */

const ROOT = resolve(__dirname, '..', '..');
const source = readFileSync(join(ROOT, 'src/infrastructure/config/config.ts'), 'utf8');
const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');

/** The environment variables config.ts names as string literals ('PORT', 'PARLEY_SECRET' …). */
const variables = [...new Set([...source.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'/g)].map((m) => m[1]))].sort();
/** The first cell of each row of the settings table: "| `PORT` | …". */
const documented = new Set([...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1]));

describe('docs/configuration.md', () => {
  it('finds the settings config.ts reads', () => {
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'PARLEY_DATA_DIR', 'PARLEY_SECRET']));
  });

  it('has a row for every one of them', () => {
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** docs/dependencies.md says why each package of package.json is there: no package without a row, no row without a package. */

const ROOT = resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const doc = readFileSync(join(ROOT, 'docs/dependencies.md'), 'utf8');

const packages = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})].sort();
/** The first cell of each table row: "| `name` | why |". */
const rows = [...doc.matchAll(/^\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|\s*$/gm)].map(([, name, why]) => ({ name, why }));

describe('docs/dependencies.md', () => {
  it('has a row saying why for every package of package.json', () => {
    const explained = new Set(rows.filter((row) => row.why.length > 0).map((row) => row.name));
    expect(packages.filter((name) => !explained.has(name))).toEqual([]);
  });

  it('has no row for a package that package.json no longer lists', () => {
    expect(rows.map((row) => row.name).filter((name) => !packages.includes(name))).toEqual([]);
  });

  it('lists each package once', () => {
    const names = rows.map((row) => row.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(names.length).toBe(packages.length);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPluginPackage, PluginLoadError } from '../../src/plugins/registry/load-plugin-package';

/** A folder with node_modules/<name>/ packages written by the test. */
function packages(files: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'parley-plugins-'));
  for (const [name, contents] of Object.entries(files)) {
    const folder = join(root, 'node_modules', name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
    for (const [file, text] of Object.entries(contents)) writeFileSync(join(folder, file), text);
  }
  return root;
}

const VALID = `{
  id: 'fixture', displayName: 'Fixture', icon: '<svg viewBox="0 0 1 1"></svg>', channel: 'fixture',
  capabilities: { reply: false, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
  connect() {},
}`;

describe('loading channel plugin packages (PARLEY_PLUGINS)', () => {
  let root: string;
  beforeAll(() => {
    root = packages({
      'parley-plugin-factory': { 'index.js': `module.exports = () => (${VALID});` },
      'parley-plugin-named': { 'index.js': `exports.createChannelPlugin = () => (${VALID});` },
      'parley-plugin-object': { 'index.js': `module.exports = ${VALID};` },
      'parley-plugin-default': { 'index.js': `exports.default = () => (${VALID});` },
      'parley-plugin-esm': {
        'index.js': `export default function createChannelPlugin() { return ${VALID}; }`,
        'package.json': JSON.stringify({ name: 'parley-plugin-esm', type: 'module', main: 'index.js' }),
      },
      'parley-plugin-broken': { 'index.js': `module.exports = () => ({ id: 'Broken Id', capabilities: { reply: true }, connect: 1 });` },
      'parley-plugin-throws': { 'index.js': `throw new Error('missing native module');` },
      'parley-plugin-async': { 'index.js': `module.exports = async () => (${VALID});` },
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['parley-plugin-factory', 'parley-plugin-named', 'parley-plugin-object', 'parley-plugin-default', 'parley-plugin-esm'])('loads %s', (name) => {
    const plugin = loadPluginPackage(name, { resolveFrom: [root] });
    expect(plugin).toMatchObject({ id: 'fixture', channel: 'fixture' });
  });

  it('names the package and says how to install it when it cannot be found', () => {
    const load = () => loadPluginPackage('parley-plugin-nowhere', { resolveFrom: [root] });
    expect(load).toThrow(PluginLoadError);
    expect(load).toThrow(/"parley-plugin-nowhere" cannot be found.*npm install parley-plugin-nowhere/s);
  });

  it('lists every problem of an export that is not a valid plugin, naming the package and the fields', () => {
    let message = '';
    try {
      loadPluginPackage('parley-plugin-broken', { resolveFrom: [root] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"parley-plugin-broken" does not export a valid channel plugin');
    for (const field of ['id must be', 'displayName', 'icon', 'channel', 'capabilities.html', 'send(outbound)', 'connect(connection)'])
      expect(message).toContain(field);
  });

  it('names the package whose code throws while loading', () => {
    expect(() => loadPluginPackage('parley-plugin-throws', { resolveFrom: [root] })).toThrow(/"parley-plugin-throws" failed to load.*missing native module/s);
  });

  it('refuses an async factory (connect is where async work goes)', () => {
    expect(() => loadPluginPackage('parley-plugin-async', { resolveFrom: [root] })).toThrow(/returned a promise/);
  });
});

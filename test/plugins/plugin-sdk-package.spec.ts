import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  scripts: Record<string, string>;
};

/**
 * The plugin SDK as a plugin author gets it: Parley installed as a package (node_modules/parley,
 * its package.json and what the build emits for the SDK), imported by name: `parley/plugin` and
 * `parley/plugin/testing`, at run time (CommonJS and ESM) and for the type checker (node16 and the
 * older node10 resolution), and nothing else of Parley's reachable by a deep import.
 */
describe('the plugin SDK by package name (package.json exports)', () => {
  const project = mkdtempSync(join(tmpdir(), 'parley-plugin-author-'));
  const installed = join(project, 'node_modules', 'parley');

  beforeAll(() => {
    mkdirSync(installed, { recursive: true });
    copyFileSync(join(REPO, 'package.json'), join(installed, 'package.json'));
    // What `npm run build` emits for the SDK: the SDK's config, JavaScript as the main build writes it too.
    const built = spawnSync(
      process.execPath,
      [TSC, '-p', join(REPO, 'tsconfig.plugin-sdk.json'), '--emitDeclarationOnly', 'false', '--outDir', join(installed, 'dist')],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    if (built.status !== 0) throw new Error(`building the SDK failed:\n${built.stdout}${built.stderr}`);
  }, 150_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const node = (source: string, type: 'commonjs' | 'module' = 'commonjs') => {
    const file = join(project, type === 'module' ? 'probe.mjs' : 'probe.cjs');
    writeFileSync(file, source);
    return spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 30_000 });
  };
  const typecheck = (config: Record<string, unknown>, files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2023',
          lib: ['ES2023'],
          types: ['node'],
          typeRoots: [join(REPO, 'node_modules', '@types')],
          ...config,
        },
        files: Object.keys(files),
      }),
    );
    const result = spawnSync(process.execPath, [TSC, '-p', join(project, 'tsconfig.json')], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };

  it('points every export at a file the build emits, and the build script emits the declarations', () => {
    expect(manifest.scripts.build).toContain('tsc -p tsconfig.plugin-sdk.json');
    const targets = Object.entries(manifest.exports)
      .filter(([subpath]) => subpath !== './package.json')
      .flatMap(([, target]) => (typeof target === 'string' ? [target] : [target.types, target.default]));
    expect(targets).toEqual([
      './dist/plugins/channel-plugin.d.ts',
      './dist/plugins/channel-plugin.js',
      './dist/plugins/testing/index.d.ts',
      './dist/plugins/testing/index.js',
    ]);
    expect(targets.filter((target) => !existsSync(join(installed, target)))).toEqual([]);
  });

  it('loads parley/plugin by name from CommonJS and ESM, and refuses deep imports of anything else', () => {
    const cjs = node(`const sdk = require('parley/plugin');
      console.log(sdk.pluginSettingVariable('signed-webhook', 'SECRET'), typeof sdk.ConnectionSettingsError, sdk.delivered('x').status);
      try { require('parley/dist/infrastructure/config/config.js'); } catch (error) { console.log(error.code); }`);
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout.trim().split('\n')).toEqual(['PARLEY_PLUGIN_SIGNED_WEBHOOK_SECRET function delivered', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
    const esm = node(`import { permanentFailure } from 'parley/plugin'; console.log(JSON.stringify(permanentFailure('no')));`, 'module');
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual({ status: 'failed', retryable: false, reason: 'no' });
  });

  it("type-checks a plugin and its conformance test written against the package's names (node16 and node10 resolution)", () => {
    const files = {
      'plugin.ts': `import { delivered, type ChannelHostConnection, type ChannelPlugin, type PluginStorage } from 'parley/plugin';
        let storage: PluginStorage | null = null;
        export const plugin: ChannelPlugin = {
          id: 'notes', displayName: 'Notes', icon: '<svg/>', channel: 'notes',
          capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
          connect(connection: ChannelHostConnection) {
            storage = connection.storage;
            connection.activity.onAgentActivity((activity) => void activity.conversationId);
            connection.connections.onChange((change) => void change.connectionId);
          },
          async send(outbound) { await storage?.setIfAbsent(outbound.messageId, { sent: true }); return delivered(); },
        };`,
      'plugin.test.ts': `import { FakeHostConnection, MemoryPluginStorage, type ChannelPluginScenario } from 'parley/plugin/testing';
        import { plugin } from './plugin';
        const host = new FakeHostConnection(plugin, {}, { storage: new MemoryPluginStorage(), connections: [{ id: 'c1', inboxId: 'i1' }] });
        export const scenario: ChannelPluginScenario = { deliverInbound: async () => void host.stored.length };
        // A mistake the types must catch: the storage answers promises.
        const wrong: boolean = host.storage.setIfAbsent('k', 1);`,
    };
    for (const resolution of [
      { module: 'node16', moduleResolution: 'node16' },
      { module: 'commonjs', moduleResolution: 'node10' },
    ]) {
      const result = typecheck({ ...resolution, ignoreDeprecations: '6.0' }, files);
      // Exactly the one planted mistake: everything else resolved and checked.
      expect(result.output).toContain("plugin.test.ts(6,15): error TS2322: Type 'Promise<boolean>' is not assignable to type 'boolean'.");
      expect(
        result.output
          .trim()
          .split('\n')
          .filter((line) => line.includes('error TS')),
      ).toHaveLength(1);
    }
  });

  it('type-checks the example plugin, whose JSDoc names its types by package name', () => {
    copyFileSync(join(REPO, 'examples', 'parley-plugin-signed-webhook', 'index.js'), join(project, 'example.js'));
    const result = typecheck(
      { module: 'node16', moduleResolution: 'node16', allowJs: true, checkJs: true, strict: false },
      { 'example.js': readFileSync(join(project, 'example.js'), 'utf8') },
    );
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});

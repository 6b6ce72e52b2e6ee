import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { ChannelPlugin } from '../channel-plugin';
import { pluginShapeProblems } from '../plugin-shape';

/** Why a plugin named in PARLEY_PLUGINS cannot be used; start-up stops with this message. */
export class PluginLoadError extends Error {
  constructor(
    readonly packageName: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`PARLEY_PLUGINS: ${message}`);
    this.name = 'PluginLoadError';
  }
}

/** The ways a package may export its plugin, most preferred first. */
const EXPORT_FORMS = 'module.exports = createChannelPlugin, exports.createChannelPlugin, or a default export (a factory or a plugin object)';

/**
 * Loads the channel plugin an npm package exports. The package is resolved like `require(name)`
 * from the working directory (where an operator runs `npm install parley-plugin-foo`), then from
 * Parley's own folder; NODE_PATH folders count too. The package may export a factory (preferred:
 * a fresh plugin per application) or a plugin object; ES modules work as well (Node's require(esm)).
 */
export function loadPluginPackage(packageName: string, options: { resolveFrom?: readonly string[] } = {}): ChannelPlugin {
  const from = options.resolveFrom ?? [process.cwd(), path.resolve(__dirname, '..', '..', '..')];
  const requireHere = createRequire(path.join(from[0] ?? process.cwd(), 'noop.js'));
  let file: string;
  try {
    file = requireHere.resolve(packageName, { paths: [...from] });
  } catch (error) {
    throw new PluginLoadError(
      packageName,
      `the channel plugin package "${packageName}" cannot be found (looked from ${from.join(', ')}${process.env.NODE_PATH ? ` and NODE_PATH` : ''}): ` +
        `install it with "npm install ${packageName}" next to Parley, or remove it from PARLEY_PLUGINS`,
      error,
    );
  }

  let exported: unknown;
  try {
    exported = requireHere(file);
  } catch (error) {
    throw new PluginLoadError(
      packageName,
      `the channel plugin package "${packageName}" failed to load (${file}): ${(error as Error)?.message ?? String(error)}`,
      error,
    );
  }

  const candidate = pickExport(exported);
  let plugin: unknown;
  try {
    plugin = typeof candidate === 'function' ? (candidate as () => unknown)() : candidate;
  } catch (error) {
    throw new PluginLoadError(packageName, `the plugin factory of "${packageName}" threw: ${(error as Error)?.message ?? String(error)}`, error);
  }
  if (plugin instanceof Promise) {
    throw new PluginLoadError(
      packageName,
      `the plugin factory of "${packageName}" returned a promise; it must return the plugin itself (do async work in connect)`,
    );
  }
  const problems = pluginShapeProblems(plugin);
  if (problems.length > 0) {
    throw new PluginLoadError(
      packageName,
      `"${packageName}" does not export a valid channel plugin (expected ${EXPORT_FORMS}):\n${problems.map((p) => `    - ${p}`).join('\n')}`,
    );
  }
  return plugin as ChannelPlugin;
}

function pickExport(exported: unknown): unknown {
  if (typeof exported === 'function') return exported;
  if (typeof exported !== 'object' || exported === null) return exported;
  const module = exported as Record<string, unknown>;
  if (typeof module.createChannelPlugin === 'function') return module.createChannelPlugin;
  if (module.default !== undefined) {
    const inner = module.default as Record<string, unknown> | null;
    // A CommonJS module compiled from `export default` and loaded through ESM interop nests it once more.
    if (inner && typeof inner === 'object' && inner.default !== undefined && inner.connect === undefined) return inner.default;
    return inner;
  }
  return module;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../app.factory';
import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { buildOpenApiDocument } from './openapi';

/**
 * The OpenAPI document as docs/openapi.json holds it (`npm run openapi`): built from an app on a
 * throw-away data folder with the built-in channels only, never from this machine's settings or
 * PARLEY_PLUGINS, so every machine writes the same bytes.
 */
export async function exportOpenApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-openapi-'));
  try {
    const config = loadConfig({ PARLEY_DATA_DIR: dataDir, PARLEY_SECRET: 'openapi-export-secret-not-used-for-anything-real', LOG_LEVEL: 'silent' });
    const app = await createApp(config, createLogger({ level: 'silent' }), { backgroundWork: false, pluginEnv: {} });
    try {
      return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

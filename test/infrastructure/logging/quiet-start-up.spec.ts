import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../../../src/app.factory';
import { loadConfig } from '../../../src/infrastructure/config/config';
import { createLogger } from '../../../src/infrastructure/logging/logger';

/** Every line the logger writes, parsed. */
function captureLines(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('start-up log', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-startup-log-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('at info: one line per component, Nest folded into one line with its counts; the detail stays at debug', async () => {
    const config = loadConfig({
      PARLEY_DATA_DIR: dataDir,
      PARLEY_SECRET: 'startup-log-test-secret-0123456789abcdef',
      SMTP_PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    const info = captureLines();
    const app = await createApp(config, createLogger({ level: 'info' }, info.stream));
    await app.init();
    await app.close();

    const nest = info.lines.filter((line) => line.component === 'nest');
    expect(nest).toEqual([expect.objectContaining({ msg: 'application started', level: 30 })]);
    expect(nest[0].modules).toBeGreaterThan(1);
    expect(nest[0].controllers).toBeGreaterThan(5);
    expect(nest[0].routes).toBeGreaterThan(40);
    expect(info.lines.filter((line) => ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'].includes(line.context as string))).toEqual([]);
    // One line per component: no component says the same thing twice, and the whole start is short.
    const said = info.lines.map((line) => `${String(line.component ?? '')}/${String(line.plugin ?? '')}: ${String(line.msg)}`);
    expect(said.filter((line, index) => said.indexOf(line) !== index)).toEqual([]);
    expect(info.lines.length).toBeLessThanOrEqual(15);

    // The folded lines are still there for whoever asks for debug.
    const debug = captureLines();
    const again = await createApp(config, createLogger({ level: 'debug' }, debug.stream));
    await again.init();
    await again.close();
    const routeLines = debug.lines.filter((line) => line.context === 'RouterExplorer');
    expect(routeLines.length).toBe(nest[0].routes);
    expect(routeLines.every((line) => line.level === 20)).toBe(true);
  }, 60_000);
});

/** A port nobody listens on right now, for the SMTP listener. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

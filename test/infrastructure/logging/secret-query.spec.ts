import { Writable } from 'node:stream';
import { createLogger, redactSecretQuery } from '../../../src/infrastructure/logging/logger';
import { startTestApp, type TestApp } from '../../support/app-harness';

/**
 * Meta's webhook handshake carries the connection's verify token in the query string
 * (`GET /channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=…`): at debug, where every
 * request is logged, the line shows the URL with that value redacted.
 */
describe('secret query values in request logs', () => {
  const VERIFY_TOKEN = 'verify-token-that-must-not-be-logged-4711';
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line.trim() !== ''),
      );
      done();
    },
  });
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'debug' }, logger: createLogger({ level: 'debug' }, stream) });
  }, 60_000);
  afterAll(() => t?.close());

  it("logs a Meta handshake's URL without the verify token, at debug", async () => {
    for (const channel of ['whatsapp', 'messenger']) {
      const res = await t.request('GET', `/channels/${channel}/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
      expect(res.status).toBe(403);
    }
    const requestLines = lines.filter((line) => line.includes('/webhook?hub.mode=subscribe'));
    expect(requestLines.length).toBeGreaterThanOrEqual(2);
    expect(requestLines.every((line) => line.includes('hub.verify_token=[Redacted]&hub.challenge=1158201444'))).toBe(true);
    expect(lines.filter((line) => line.includes(VERIFY_TOKEN))).toEqual([]);
  });

  it('redacts token, secret and password values and leaves the rest of the URL as it was', () => {
    expect(redactSecretQuery('/x?a=1&access_token=EAAG1&hub.verify_token=v&appSecret=s&password=p&b=2#f')).toBe(
      '/x?a=1&access_token=[Redacted]&hub.verify_token=[Redacted]&appSecret=[Redacted]&password=[Redacted]&b=2#f',
    );
    expect(redactSecretQuery('/channels/chat/c/1/events?since=3')).toBe('/channels/chat/c/1/events?since=3');
  });
});

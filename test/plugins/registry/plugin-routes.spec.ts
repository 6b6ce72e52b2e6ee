import Fastify, { type FastifyInstance } from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/infrastructure/logging/logger';
import { installSecurityHeaders } from '../../../src/infrastructure/web/web-security';
import type { ChannelRequest, RouteHandler } from '../../../src/plugins/channel-plugin';
import { mountPluginRoutes } from '../../../src/plugins/registry/mount-plugin-routes';
import type { DeclaredRoute } from '../../../src/plugins/registry/plugin-host-connection';

/**
 * The host side of plugin routes over real sockets: what a chat widget's routes rely on (the
 * client's address for rate limits, an abort signal when the visitor leaves, server-sent events
 * that flush each write and end on shutdown, and its own frame policy).
 */
describe('plugin routes: address, abort, streaming, headers', () => {
  let server: FastifyInstance;
  let base: string;

  async function serve(routes: Array<Pick<DeclaredRoute, 'method' | 'path' | 'handler'> & { public?: boolean }>): Promise<void> {
    server = Fastify();
    installSecurityHeaders(server);
    mountPluginRoutes(
      server,
      'live',
      routes.map((r) => ({ rawBody: false, public: true, ...r })),
      { authenticate: async () => ({ id: 'a-1', name: 'Ada', email: 'ada@example.com', role: 'admin' }), logger: createLogger({ level: 'silent' }) },
    );
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    await server?.close();
  });

  it("hands the handler the client's address", async () => {
    await serve([{ method: 'GET', path: 'whoami', handler: (request) => ({ status: 200, body: { ip: request.ip } }) }]);
    const answer = await fetch(`${base}/channels/live/whoami`);
    expect(await answer.json()).toEqual({ ip: '127.0.0.1' });
  });

  it('streams a Readable body: headers and each write reach the client at once, with the no-buffering headers', async () => {
    const stream = new PassThrough();
    await serve([
      {
        method: 'GET',
        path: 'events',
        handler: () => ({ status: 200, body: stream, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }),
      },
    ]);
    const { response, chunks } = await openStream(`${base}/channels/live/events`);
    // Nothing was written yet, and the client already has the status and headers.
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['x-accel-buffering']).toBe('no');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-encoding']).toBeUndefined();
    stream.write('data: one\n\n');
    await waitUntil(() => chunks.join('') === 'data: one\n\n');
    stream.write('data: two\n\n');
    await waitUntil(() => chunks.join('') === 'data: one\n\ndata: two\n\n');
    stream.end();
    await new Promise((resolve) => response.once('end', resolve));
  });

  it("aborts the request's signal when the client goes away", async () => {
    let seen: ChannelRequest | undefined;
    const stream = new PassThrough();
    await serve([
      {
        method: 'GET',
        path: 'events',
        handler: (request) => {
          seen = request;
          request.signal.addEventListener('abort', () => stream.end());
          return { status: 200, body: stream, headers: { 'content-type': 'text/event-stream' } };
        },
      },
    ]);
    const { request } = await openStream(`${base}/channels/live/events`);
    expect(seen?.signal.aborted).toBe(false);
    request.destroy();
    await waitUntil(() => seen?.signal.aborted === true);
    await waitUntil(() => stream.writableEnded);
  });

  it('ends open streams when the server closes, so shutdown does not wait for them', async () => {
    let signal: AbortSignal | undefined;
    await serve([
      {
        method: 'GET',
        path: 'events',
        handler: (request) => {
          signal = request.signal;
          const stream = new PassThrough();
          stream.write(': hello\n\n');
          return { status: 200, body: stream, headers: { 'content-type': 'text/event-stream' } };
        },
      },
    ]);
    const { response } = await openStream(`${base}/channels/live/events`);
    const ended = new Promise((resolve) => response.once('end', resolve));
    const started = Date.now();
    await server.close();
    await ended;
    expect(signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("keeps a public route's own frame policy (an embeddable page) and adds the page policy only where none was set", async () => {
    const page: RouteHandler = () => ({
      status: 200,
      body: '<!doctype html><p>chat</p>',
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; frame-ancestors https://shop.example" },
    });
    await serve([
      { method: 'GET', path: 'frame', handler: page },
      { method: 'GET', path: 'plain', handler: () => ({ status: 200, body: '<p>x</p>', headers: { 'content-type': 'text/html' } }) },
    ]);
    const framed = await fetch(`${base}/channels/live/frame`);
    expect(framed.headers.get('content-security-policy')).toBe("default-src 'self'; frame-ancestors https://shop.example");
    expect(framed.headers.get('x-frame-options')).toBeNull();
    const plain = await fetch(`${base}/channels/live/plain`);
    expect(plain.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(plain.headers.get('x-frame-options')).toBe('DENY');
  });
});

/** Opens a GET with Node's client (fetch would buffer nothing for us but hides the socket). */
function openStream(url: string): Promise<{ request: http.ClientRequest; response: http.IncomingMessage; chunks: string[] }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, (response) => {
      const chunks: string[] = [];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => chunks.push(chunk));
      response.on('error', () => undefined);
      resolve({ request, response, chunks });
    });
    request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

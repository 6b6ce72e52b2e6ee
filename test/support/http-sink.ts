import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local HTTP server that records what is POSTed to it and answers with the status the test sets. */
export interface HttpSink {
  readonly url: string;
  readonly requests: SinkRequest[];
  /** The status the next requests get (default 200). */
  respondWith(status: number): void;
  /** Resolves with the first recorded request that matches, waiting up to timeoutMs. */
  waitFor(predicate: (request: SinkRequest) => boolean, timeoutMs?: number): Promise<SinkRequest>;
  close(): Promise<void>;
}

export async function startHttpSink(path = '/hook'): Promise<HttpSink> {
  let status = 200;
  const requests: SinkRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    respondWith: (next) => (status = next),
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the sink got no matching request within ${timeoutMs} ms (got ${requests.length})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

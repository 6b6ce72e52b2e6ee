import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describeConfig, loadConfig } from '../../src/infrastructure/config/config';
import { classifyAddress, type AddressClass } from '../../src/infrastructure/outbound/address-class';
import { createOutboundHttp, OutboundRequestError, type OutboundGuardOptions } from '../../src/infrastructure/outbound/outbound-guard';

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface LocalServer {
  port: number;
  /** `http://<host>:<port>` with IPv6 hosts in brackets. */
  origin: string;
  hits: Hit[];
  /** Responses whose connection closed before the handler finished writing. */
  cutOff: number;
  close(): Promise<void>;
}

const servers: LocalServer[] = [];

/** A real HTTP server on a loopback address that records every request that reached it. */
async function localServer(handler: (req: IncomingMessage, res: ServerResponse, hit: Hit) => void, host = '127.0.0.1'): Promise<LocalServer> {
  const hits: Hit[] = [];
  const state = { cutOff: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hits.push(hit);
      res.on('close', () => {
        if (!res.writableFinished) state.cutOff += 1;
      });
      handler(req, res, hit);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const local: LocalServer = {
    port,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    hits,
    get cutOff() {
      return state.cutOff;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(local);
  return local;
}

const ok = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the target');

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The rejection of `promise`, which must be an OutboundRequestError. */
async function failure(promise: Promise<unknown>): Promise<OutboundRequestError> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(OutboundRequestError);
  return outcome as OutboundRequestError;
}

const strict = (extra: Partial<OutboundGuardOptions> = {}) => createOutboundHttp({ allowPrivateNetwork: false, ...extra });
const permissive = (extra: Partial<OutboundGuardOptions> = {}) => createOutboundHttp({ allowPrivateNetwork: true, ...extra });
/** The real classification, except that 127.0.0.1 counts as public: a stand-in for "some server on the internet" that never leaves the machine. */
const loopbackCountsAsPublic = (address: string): AddressClass => (address === '127.0.0.1' ? { kind: 'public' } : classifyAddress(address));

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::808:808', 'public'],
    ['2002:808:808::1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b:1::1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['1::1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it('names the range, and the IPv4 address an IPv6 one carries', () => {
    expect(classifyAddress('10.9.8.7')).toEqual({ kind: 'private', range: '10.0.0.0/8' });
    expect(classifyAddress('::ffff:7f00:1')).toEqual({ kind: 'loopback', range: '127.0.0.0/8', embeddedIPv4: '127.0.0.1' });
  });

  it('throws on what is not an IP address', () => {
    expect(() => classifyAddress('localhost')).toThrow('not an IP address');
  });
});

describe('outbound guard: refused by default', () => {
  it('refuses a loopback literal before connecting, and says which address and why', async () => {
    const target = await localServer(ok);
    const error = await failure(strict().request(`${target.origin}/hook`));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `refused GET http://127.0.0.1:${target.port}/…: 127.0.0.1, a loopback address (127.0.0.0/8); private and loopback targets are refused unless PARLEY_ALLOW_PRIVATE_NETWORK=true`,
    );
    expect(target.hits).toHaveLength(0);
  });

  it('refuses the name localhost (the system resolver answers a loopback address)', async () => {
    const target = await localServer(ok);
    const error = await failure(strict().request(`http://localhost:${target.port}/`));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(target.hits).toHaveLength(0);
  });

  it('refuses IPv6 loopback in every spelling, including IPv4-mapped ones', async () => {
    const v6 = await localServer(ok, '::1');
    const v4 = await localServer(ok);
    for (const url of [`http://[::1]:${v6.port}/`, `http://[0:0:0:0:0:0:0:1]:${v6.port}/`]) {
      const error = await failure(strict().request(url));
      expect(error.message).toContain('::1, a loopback address (::1/128)');
    }
    for (const url of [`http://[::ffff:127.0.0.1]:${v4.port}/`, `http://[::ffff:7f00:1]:${v4.port}/`]) {
      const error = await failure(strict().request(url));
      expect(error.code).toBe('OUTBOUND_REFUSED');
      expect(error.message).toContain('::ffff:7f00:1, which carries the IPv4 address 127.0.0.1, a loopback address (127.0.0.0/8)');
    }
    expect(v6.hits).toHaveLength(0);
    expect(v4.hits).toHaveLength(0);
  });

  it('refuses decimal, octal, hexadecimal and short IPv4 forms (the URL parser turns them into 127.0.0.1)', async () => {
    const target = await localServer(ok);
    for (const host of ['2130706433', '0177.0.0.1', '0x7f.0.0.1', '0x7f000001', '127.1']) {
      const error = await failure(strict().request(`http://${host}:${target.port}/`));
      expect(error.message).toContain(`refused GET http://127.0.0.1:${target.port}/: 127.0.0.1, a loopback address`);
    }
    expect(target.hits).toHaveLength(0);
  });

  it('refuses a name whose DNS answer is private, and one with any private answer among public ones', async () => {
    const answers: Record<string, { address: string; family: 4 | 6 }[]> = {
      'internal.example': [{ address: '10.0.0.7', family: 4 }],
      'mixed.example': [
        { address: '93.184.216.34', family: 4 },
        { address: 'fd00::5', family: 6 },
      ],
      'nat64.example': [{ address: '64:ff9b::a9fe:a9fe', family: 6 }],
    };
    const guard = strict({ resolve: async (name) => answers[name] ?? [] });
    expect((await failure(guard.request('https://internal.example/api'))).message).toBe(
      'refused GET https://internal.example/…: internal.example resolves to 10.0.0.7, a private address (10.0.0.0/8); private and loopback targets are refused unless PARLEY_ALLOW_PRIVATE_NETWORK=true',
    );
    expect((await failure(guard.request('https://mixed.example/'))).message).toContain('mixed.example resolves to fd00::5, a private address (fc00::/7)');
    expect((await failure(guard.request('https://nat64.example/'))).message).toContain(
      'nat64.example resolves to 64:ff9b::a9fe:a9fe, which carries the IPv4 address 169.254.169.254, a link-local address (169.254.0.0/16); link-local targets are always refused',
    );
  });

  it('refuses link-local (the cloud metadata service), multicast, broadcast and unspecified targets even with PARLEY_ALLOW_PRIVATE_NETWORK', async () => {
    const cases: [string, string][] = [
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254, a link-local address (169.254.0.0/16); link-local targets are always refused'],
      ['http://[fe80::1]/', 'fe80::1, a link-local address (fe80::/10)'],
      ['http://224.0.0.1/', '224.0.0.1, a multicast address (224.0.0.0/4)'],
      ['http://[ff02::1]/', 'ff02::1, a multicast address (ff00::/8)'],
      ['http://255.255.255.255/', '255.255.255.255, a broadcast address'],
      ['http://0.0.0.0/', '0.0.0.0, the unspecified address (0.0.0.0/8)'],
      ['http://[::]/', '::, the unspecified address (::/128)'],
    ];
    for (const [url, why] of cases) {
      const error = await failure(permissive().request(url));
      expect(error.code).toBe('OUTBOUND_REFUSED');
      expect(error.message).toContain(why);
    }
  });

  it('refuses schemes other than http(s) and URLs with credentials, without quoting the password', async () => {
    expect((await failure(permissive().request('file:///etc/passwd'))).message).toContain('only http: and https: URLs are allowed (got file:)');
    expect((await failure(permissive().request('ftp://example.com/x'))).code).toBe('OUTBOUND_REFUSED');
    const withPassword = await failure(permissive().request('https://admin:hunter2@example.com/hook'));
    expect(withPassword.message).toBe('refused GET https://example.com/…: the URL carries a user name or password; send credentials in a header instead');
  });

  it('never puts the path or query of a refused URL in the error or the log (they carry tokens)', async () => {
    const warnings: object[] = [];
    const guard = strict({ logger: { warn: (fields) => warnings.push(fields) } });
    const error = await failure(guard.request('http://127.0.0.1:9/bot123456:SECRET-TOKEN/send?access_token=ALSO-SECRET'));
    expect(error.message).not.toMatch(/SECRET/);
    expect(warnings).toEqual([{ url: 'http://127.0.0.1:9/…', reason: expect.stringContaining('loopback') }]);
    expect(JSON.stringify(warnings)).not.toMatch(/SECRET/);
  });
});

describe('outbound guard: allowed with PARLEY_ALLOW_PRIVATE_NETWORK=true', () => {
  it('sends the method, headers and body to a loopback server and returns status, headers and body', async () => {
    const target = await localServer((_req, res, hit) =>
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen': hit.method }).end(JSON.stringify({ got: hit.body })),
    );
    const response = await permissive().request(`${target.origin}/hook?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Token': 'abc' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(201);
    expect(response.headers['x-seen']).toBe('POST');
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({ got: '{"a":1}' });
    expect(response.url).toBe(`${target.origin}/hook`);
    expect(target.hits).toEqual([expect.objectContaining({ method: 'POST', url: '/hook?x=1', body: '{"a":1}' })]);
    expect(target.hits[0].headers).toMatchObject({
      'content-type': 'application/json',
      'x-token': 'abc',
      host: `127.0.0.1:${target.port}`,
      'content-length': '7',
    });
  });

  it('takes headers as a fetch Headers object too', async () => {
    const target = await localServer(ok);
    await permissive().request(target.origin, { headers: new Headers({ 'X-Trace': 'abc' }) });
    expect(target.hits[0].headers['x-trace']).toBe('abc');
  });

  it('reaches localhost and ::1', async () => {
    const v4 = await localServer(ok);
    const v6 = await localServer(ok, '::1');
    expect((await permissive().request(`http://localhost:${v4.port}/`)).body.toString()).toBe('hello from the target');
    expect((await permissive().request(`http://[::1]:${v6.port}/`)).status).toBe(200);
  });

  it('decodes a gzip body', async () => {
    const target = await localServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('compressed text')));
    expect((await permissive().request(target.origin)).body.toString('utf8')).toBe('compressed text');
  });
});

describe('outbound guard: resolves names itself and connects only to the vetted address', () => {
  it('connects to the address its resolver vetted (the name is unknown to the system resolver), resolving once', async () => {
    const target = await localServer(ok);
    const asked: string[] = [];
    const guard = strict({
      resolve: async (name) => {
        asked.push(name);
        return [{ address: '127.0.0.1', family: 4 }];
      },
      classify: loopbackCountsAsPublic,
    });
    const response = await guard.request(`http://hooks.parley-test.invalid:${target.port}/in`);
    expect(response.status).toBe(200);
    expect(asked).toEqual(['hooks.parley-test.invalid']);
    expect(target.hits[0].headers.host).toBe(`hooks.parley-test.invalid:${target.port}`);
  });
});

describe('outbound guard: https', () => {
  let tls: { key: string; cert: string };
  beforeAll(() => {
    // A throwaway self-signed certificate for localhost, made for this run.
    const dir = mkdtempSync(join(tmpdir(), 'parley-outbound-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("speaks TLS to the vetted address with the URL's name for SNI and keeps certificate checks on", async () => {
    const names: string[] = [];
    const sni = (name: string, done: (error: Error | null, context: SecureContext) => void) => {
      names.push(name);
      done(null, createSecureContext(tls));
    };
    const server = createHttpsServer({ ...tls, SNICallback: sni }, ok);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const guard = strict({ resolve: async () => [{ address: '127.0.0.1', family: 4 }], classify: loopbackCountsAsPublic });
      const error = await failure(guard.request(`https://tls.parley-test.invalid:${port}/`));
      // The certificate is self-signed and for localhost: refused by the TLS check, not by the guard.
      expect(error).toMatchObject({ code: 'OUTBOUND_NETWORK', retryable: true });
      expect(error.message).toMatch(/SELF_SIGNED/);
      expect(names).toEqual(['tls.parley-test.invalid']);
      expect((await failure(strict().request(`https://localhost:${port}/`))).code).toBe('OUTBOUND_REFUSED');
      expect(names).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('outbound guard: redirects', () => {
  it('re-checks every hop: a redirect from an allowed target to another loopback address is refused before connecting', async () => {
    // 127.0.0.1 plays a public server (see loopbackCountsAsPublic); 127.0.0.2 keeps its real classification.
    const inner = await localServer(ok, '127.0.0.2');
    const outer = await localServer((_req, res) => res.writeHead(302, { location: `${inner.origin}/admin?token=x` }).end());
    const error = await failure(strict({ classify: loopbackCountsAsPublic }).request(`${outer.origin}/start`));
    expect(error.code).toBe('OUTBOUND_REFUSED');
    expect(error.message).toBe(
      `refused GET http://127.0.0.2:${inner.port}/… (redirected from http://127.0.0.1:${outer.port}/…): 127.0.0.2, a loopback address (127.0.0.0/8); ` +
        'private and loopback targets are refused unless PARLEY_ALLOW_PRIVATE_NETWORK=true',
    );
    expect(outer.hits).toHaveLength(1);
    expect(inner.hits).toHaveLength(0);

    // The same redirect is followed once private targets are allowed: the refusal above was the guard's doing.
    const followed = await permissive().request(`${outer.origin}/start`);
    expect(followed.body.toString()).toBe('hello from the target');
    expect(inner.hits).toEqual([expect.objectContaining({ url: '/admin?token=x' })]);
  });

  it('refuses a redirect to a name that resolves to a private address, and to the metadata service', async () => {
    const outer = await localServer((req, res) =>
      res.writeHead(307, { location: req.url === '/a' ? 'http://intranet.parley-test.invalid/' : 'http://169.254.169.254/latest' }).end(),
    );
    const guard = strict({ classify: loopbackCountsAsPublic, resolve: async () => [{ address: '192.168.1.10', family: 4 }] });
    expect((await failure(guard.request(`${outer.origin}/a`))).message).toContain('intranet.parley-test.invalid resolves to 192.168.1.10, a private address');
    expect((await failure(guard.request(`${outer.origin}/b`))).message).toContain('169.254.169.254, a link-local address');
  });

  it('stops after maxRedirects hops', async () => {
    const loop = await localServer((req, res) => res.writeHead(302, { location: `/hop${Number(req.url!.slice(4) || 0) + 1}` }).end());
    const error = await failure(permissive().request(`${loop.origin}/hop0`));
    expect(error.code).toBe('OUTBOUND_TOO_MANY_REDIRECTS');
    expect(error.message).toContain('more than 5 redirects');
    expect(loop.hits).toHaveLength(6);
    await failure(permissive().request(`${loop.origin}/hop0`, { maxRedirects: 1 }));
    expect(loop.hits).toHaveLength(6 + 2);
  });

  it('turns a POST into a GET on 303, keeps it on 307, and drops credentials when the origin changes', async () => {
    const other = await localServer(ok, '127.0.0.2');
    const first = await localServer((req, res) => {
      if (req.url === '/see-other') res.writeHead(303, { location: '/landed' }).end();
      else if (req.url === '/temporary') res.writeHead(307, { location: '/landed' }).end();
      else if (req.url === '/elsewhere') res.writeHead(307, { location: `${other.origin}/landed` }).end();
      else ok(req, res);
    });
    const post = { method: 'POST', headers: { authorization: 'Bearer s3cret', 'content-type': 'text/plain' }, body: 'payload' };
    await permissive().request(`${first.origin}/see-other`, post);
    expect(first.hits[1]).toMatchObject({ method: 'GET', url: '/landed', body: '' });
    expect(first.hits[1].headers['content-type']).toBeUndefined();
    await permissive().request(`${first.origin}/temporary`, post);
    expect(first.hits[3]).toMatchObject({ method: 'POST', url: '/landed', body: 'payload' });
    expect(first.hits[3].headers.authorization).toBe('Bearer s3cret');
    await permissive().request(`${first.origin}/elsewhere`, post);
    expect(other.hits[0]).toMatchObject({ method: 'POST', body: 'payload' });
    expect(other.hits[0].headers.authorization).toBeUndefined();
  });

  it('hands a 3xx back with redirect: manual', async () => {
    const target = await localServer((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end());
    const response = await permissive().request(target.origin, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('http://169.254.169.254/');
  });
});

describe('outbound guard: time and size limits', () => {
  it('times out a server that never answers, as a retryable failure', async () => {
    const silent = await localServer(() => undefined);
    const started = Date.now();
    const error = await failure(permissive().request(silent.origin, { timeoutMs: 300 }));
    expect(error.code).toBe('OUTBOUND_TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`GET ${silent.origin}/: no complete answer within 300 ms`);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a body that trickles in, and closes the connection', async () => {
    const trickle = await localServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    expect((await failure(permissive().request(trickle.origin, { timeoutMs: 400 }))).code).toBe('OUTBOUND_TIMEOUT');
    await waitUntil(() => trickle.cutOff === 1);
  });

  it('counts name resolution in the connect timeout', async () => {
    const guard = strict({ resolve: () => new Promise(() => undefined) });
    const error = await failure(guard.request('https://slow-dns.parley-test.invalid/', { connectTimeoutMs: 200 }));
    expect(error.code).toBe('OUTBOUND_TIMEOUT');
    expect(error.message).toBe('GET https://slow-dns.parley-test.invalid/: not connected within 200 ms');
  });

  it('stops at the size limit: at once for a declared length, while reading for a stream without one', async () => {
    const declared = await localServer((_req, res) => res.writeHead(200, { 'content-length': 2000 }).end('x'.repeat(2000)));
    const error = await failure(permissive().request(declared.origin, { maxResponseBytes: 1000 }));
    expect(error.code).toBe('OUTBOUND_TOO_LARGE');
    expect(error.message).toBe(`GET ${declared.origin}/: the response is larger than 1000 bytes`);

    const endless = await localServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 'y')), 5);
      res.on('close', () => clearInterval(timer));
    });
    expect((await failure(permissive().request(endless.origin, { maxResponseBytes: 100_000 }))).code).toBe('OUTBOUND_TOO_LARGE');
    await waitUntil(() => endless.cutOff === 1);
  });

  it('counts decoded bytes, so a small gzip body cannot unpack past the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(10_000);
    const target = await localServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb));
    expect((await failure(permissive().request(target.origin, { maxResponseBytes: 1024 * 1024 }))).code).toBe('OUTBOUND_TOO_LARGE');
  });

  it('reports a closed port as a retryable network failure, and a caller abort as aborted', async () => {
    const gone = await localServer(ok);
    await gone.close();
    const refused = await failure(permissive().request(gone.origin));
    expect(refused).toMatchObject({ code: 'OUTBOUND_NETWORK', retryable: true });
    expect(refused.message).toContain('ECONNREFUSED');

    const silent = await localServer(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect((await failure(permissive().request(silent.origin, { signal: controller.signal }))).code).toBe('OUTBOUND_ABORTED');
  });
});

describe('outbound guard: bad requests', () => {
  it.each([
    ['not a url', {}, 'the URL is not a valid absolute URL (9 characters)'],
    ['http://example.com/', { method: 'GE T' }, 'method must be an HTTP method'],
    ['http://example.com/', { headers: { 'x-a': 'one\r\nx-b: two' } }, 'header x-a must be a string without line breaks'],
    ['http://example.com/', { headers: { Host: 'internal' } }, 'header Host is set by Parley'],
    ['http://example.com/', { body: 'x' }, 'a GET request cannot have a body'],
    ['http://example.com/', { headers: [['x-a', '1']] }, 'headers must be an object of header names to string values'],
    ['http://example.com/', { timeoutMs: 0 }, 'timeoutMs must be a whole number from 1 to 600000 (got 0)'],
    ['http://example.com/', { maxResponseBytes: 1.5 }, 'maxResponseBytes must be a whole number'],
  ])('%s with %j is refused as invalid', async (url, init, message) => {
    const error = await failure(permissive().request(url, init as never));
    expect(error.code).toBe('OUTBOUND_INVALID_REQUEST');
    expect(error.message).toContain(message);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PARLEY_ALLOW_PRIVATE_NETWORK', () => {
  it('is false by default, true or false when set, shown in the start-up description, and a clear error otherwise', () => {
    expect(loadConfig({}).allowPrivateNetwork).toBe(false);
    expect(loadConfig({ PARLEY_ALLOW_PRIVATE_NETWORK: 'true' }).allowPrivateNetwork).toBe(true);
    expect(loadConfig({ PARLEY_ALLOW_PRIVATE_NETWORK: 'false' }).allowPrivateNetwork).toBe(false);
    expect(describeConfig(loadConfig({ PARLEY_ALLOW_PRIVATE_NETWORK: 'true' }))).toMatchObject({ allowPrivateNetwork: true });
    expect(() => loadConfig({ PARLEY_ALLOW_PRIVATE_NETWORK: 'yes' })).toThrow('PARLEY_ALLOW_PRIVATE_NETWORK="yes" is not a boolean (false|true)');
  });
});

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import { describeError } from '../../infrastructure/http/describe-error';
import { jsonDepthError } from '../../infrastructure/http/validation';
import { redactSecretQuery } from '../../infrastructure/logging/logger';
import type { ChannelRequest, ChannelResponse } from '../channel-plugin';
import { PAGE_DEFAULT_HEADERS } from '../plugin-shape';
import type { DeclaredRoute } from './plugin-host-connection';

/** Where every public webhook lives; the session cookie means nothing below it. */
export const PUBLIC_ROUTES_PREFIX = '/channels/';
/** Public webhooks: `/channels/<id>/<path>`. */
export const publicPrefix = (pluginId: string) => `${PUBLIC_ROUTES_PREFIX}${pluginId}`;
/** Routes that need an agent's session: `/api/channels/<id>/<path>`. */
export const authenticatedPrefix = (pluginId: string) => `/api/channels/${pluginId}`;
/** Pages people open in a browser (RouteOptions.page): `/<id>/<path>`, like a support form's `/forms/:formId`. */
export const pagePrefix = (pluginId: string) => `/${pluginId}`;

/** Where a declared route is mounted. */
export const routeUrl = (pluginId: string, route: Pick<DeclaredRoute, 'path' | 'public' | 'page'>) =>
  `${route.page ? pagePrefix(pluginId) : route.public ? publicPrefix(pluginId) : authenticatedPrefix(pluginId)}/${route.path}`;

export interface MountOptions {
  /** The session check of the rest of the API (AuthGuard's): the agent, or an UnauthorizedException. */
  authenticate(request: FastifyRequest): Promise<AuthenticatedAgent>;
  logger: Logger;
}

interface PluginRequest extends FastifyRequest {
  parleyRawBody?: Buffer;
  parleyAgent?: AuthenticatedAgent;
  /** A JSON body of a rawBody route, kept as bytes and parsed only when the handler reads `body`. */
  parleyJsonLater?: boolean;
}

/** The route config that marks a rawBody route (its JSON parsed when read, after a signature check). */
interface PluginRouteConfig {
  parleyRawBody?: boolean;
}

/**
 * Mounts one plugin's routes in their own Fastify scope, so the scope's body parsers (raw bytes
 * kept for signature checks, form posts) and error handler apply to plugin routes only. Session
 * checks run in onRequest: an unauthenticated caller is refused before its body is even read.
 * Errors leave in docs/api.md's error shape, through the same describeError as every other route.
 */
export function mountPluginRoutes(fastify: FastifyInstance, pluginId: string, routes: readonly DeclaredRoute[], options: MountOptions): void {
  if (routes.length === 0) return;
  const openStreams = streamsOf(fastify);
  void fastify.register(async (scope) => {
    const parseJsonNow = installBodyParsers(scope);
    scope.setErrorHandler((error, request, reply) => {
      const described = describeError(error);
      if (described.statusCode >= 500) {
        options.logger.error(
          { err: error, plugin: pluginId, reqId: request.id, method: request.method, url: redactSecretQuery(request.url) },
          'channel plugin route failed',
        );
      }
      void reply.status(described.statusCode).send(described);
    });

    for (const route of routes) {
      const url = routeUrl(pluginId, route);
      scope.route({
        method: route.method,
        url,
        config: { parleyRawBody: route.rawBody } satisfies PluginRouteConfig,
        ...(route.public
          ? {}
          : {
              onRequest: async (request: PluginRequest) => {
                request.parleyAgent = await options.authenticate(request);
              },
            }),
        handler: async (request: PluginRequest, reply: FastifyReply) => {
          const raw = request.parleyRawBody;
          if (!route.rawBody && request.body === undefined && raw !== undefined && raw.length > 0) {
            const got = String(request.headers['content-type'] ?? 'a body without Content-Type')
              .split(';')[0]
              .trim();
            const message = `send the body as application/json or application/x-www-form-urlencoded (got ${got})`;
            return reply.status(415).send(describeError(Object.assign(new Error(message), { statusCode: 415 })));
          }
          // Aborted when the client goes away: the response's socket closes (a closed tab ends an
          // event stream), or the answer was sent. 'close' of the request itself fires once its
          // body is read, so it cannot tell.
          const gone = new AbortController();
          reply.raw.once('close', () => gone.abort());
          const channelRequest: ChannelRequest = {
            params: { ...(request.params as Record<string, string>) },
            query: { ...(request.query as Record<string, string | string[]>) },
            headers: { ...request.headers },
            body: request.body,
            ...(route.rawBody ? { rawBody: raw ?? Buffer.alloc(0) } : {}),
            ...(request.parleyAgent ? { agent: { ...request.parleyAgent } } : {}),
            // Fastify's view: the proxy's X-Forwarded-For only when the server trusts the proxy.
            ip: request.ip,
            signal: gone.signal,
          };
          if (request.parleyJsonLater && raw !== undefined) {
            // Parsed on first read, so a webhook checks its signature over the bytes before anything is parsed.
            let parsed: { value?: unknown; error?: unknown } | undefined;
            Object.defineProperty(channelRequest, 'body', {
              enumerable: true,
              configurable: true,
              get: () => {
                if (!parsed) {
                  try {
                    parsed = { value: parseJsonNow(request, raw.toString('utf8')) };
                  } catch (error) {
                    parsed = { error };
                  }
                }
                if ('error' in parsed) throw parsed.error;
                return parsed.value;
              },
            });
          }
          const response = await route.handler(channelRequest);
          const problem = responseProblem(response);
          if (problem) throw new Error(`plugin "${pluginId}" answered ${route.method} ${url} with an invalid response: ${problem}`);
          if (isReadable(response.body)) return streamResponse(reply, response, response.body, gone, openStreams);
          void reply.status(response.status);
          if (route.page) for (const [name, value] of Object.entries(PAGE_DEFAULT_HEADERS)) void reply.header(name, value);
          for (const [name, value] of Object.entries(response.headers ?? {})) void reply.header(name, value);
          return reply.send(response.body);
        },
      });
    }
  });
}

/** An answer being streamed: ended on shutdown, or the HTTP server would wait for it forever. */
type OpenStream = () => void;
const openStreamsByServer = new WeakMap<FastifyInstance, Set<OpenStream>>();

/** The open streams of one server, ended by a hook added once, when the server begins to close. */
function streamsOf(fastify: FastifyInstance): Set<OpenStream> {
  let open = openStreamsByServer.get(fastify);
  if (!open) {
    const streams = new Set<OpenStream>();
    open = streams;
    openStreamsByServer.set(fastify, streams);
    fastify.addHook('preClose', (done) => {
      for (const end of [...streams]) end();
      done();
    });
  }
  return open;
}

function isReadable(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function' && typeof (body as Readable).on === 'function';
}

/**
 * Streams a Readable body (server-sent events) straight to the socket: the headers leave at once
 * (Fastify would hold them until the first chunk) and each write is passed on as it comes, with
 * nothing buffering or compressing on the way (`X-Accel-Buffering: no` asks nginx for the same).
 * The headers every other answer gets from the global hooks are set here, as those hooks do not
 * run for a hijacked reply; the plugin's own headers win. `Connection: close`: a stream's socket
 * is not reused, so ending it on shutdown leaves nothing open.
 */
function streamResponse(reply: FastifyReply, response: ChannelResponse, body: Readable, gone: AbortController, open: Set<OpenStream>): void {
  reply.hijack();
  const raw = reply.raw;
  const own = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  raw.writeHead(response.status, {
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
    'x-accel-buffering': 'no',
    ...own,
    'x-content-type-options': 'nosniff',
    connection: 'close',
  });
  raw.flushHeaders();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    open.delete(end);
    gone.abort();
    body.unpipe(raw);
    if (!raw.writableEnded) raw.end();
    if (!body.destroyed) body.destroy();
  };
  open.add(end);
  body.once('end', () => open.delete(end));
  body.once('error', () => {
    open.delete(end);
    raw.destroy();
  });
  raw.once('close', end);
  body.pipe(raw);
}

/**
 * JSON and form bodies are parsed (JSON through Fastify's own parser, with its prototype
 * poisoning protection, after the API's depth limit); every body's exact bytes are kept for routes that asked for rawBody.
 * A rawBody route's JSON is parsed only when its handler reads `body` (a webhook checks the
 * signature over the bytes first; a bad body is then the same 400). Any other content type is read as bytes only.
 * Answers the JSON parse, for those later reads.
 */
function installBodyParsers(scope: FastifyInstance): (request: FastifyRequest, text: string) => unknown {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  const parseJsonNow = (request: FastifyRequest, text: string): unknown => {
    if (text.trim() === '') return undefined;
    const tooDeep = jsonDepthError(text);
    if (tooDeep) throw tooDeep;
    let outcome: { error: Error | null; value?: unknown } | undefined;
    parseJson(request, text, (error, value) => (outcome = { error, value }));
    // Fastify's default JSON parser answers synchronously.
    if (!outcome) throw new Error('the JSON body parser did not answer');
    if (outcome.error) throw outcome.error;
    return outcome.value;
  };
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: PluginRequest, body: Buffer, done) => {
    request.parleyRawBody = body;
    if ((request.routeOptions.config as PluginRouteConfig | undefined)?.parleyRawBody) {
      request.parleyJsonLater = true;
      return done(null, undefined);
    }
    try {
      done(null, parseJsonNow(request, body.toString('utf8')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request: PluginRequest, body: Buffer, done) => {
    request.parleyRawBody = body;
    const fields: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
      const existing = fields[name];
      fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    done(null, fields);
  });
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request: PluginRequest, body: Buffer, done) => {
    request.parleyRawBody = body;
    done(null, undefined);
  });
  return parseJsonNow;
}

function responseProblem(response: ChannelResponse | undefined): string | null {
  if (typeof response !== 'object' || response === null) return 'expected { status, body?, headers? }';
  if (!Number.isInteger(response.status) || response.status < 100 || response.status > 599)
    return `status must be an HTTP status code (got ${JSON.stringify(response.status)})`;
  if (response.headers !== undefined && (typeof response.headers !== 'object' || Object.values(response.headers).some((v) => typeof v !== 'string'))) {
    return 'headers must map names to strings';
  }
  return null;
}

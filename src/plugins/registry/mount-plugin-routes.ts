import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import { describeError } from '../../infrastructure/http/describe-error';
import { jsonDepthError } from '../../infrastructure/http/validation';
import type { ChannelRequest, ChannelResponse } from '../channel-plugin';
import type { DeclaredRoute } from './plugin-host-connection';

/** Where every public webhook lives; the session cookie means nothing below it. */
export const PUBLIC_ROUTES_PREFIX = '/channels/';
/** Public webhooks: `/channels/<id>/<path>`. */
export const publicPrefix = (pluginId: string) => `${PUBLIC_ROUTES_PREFIX}${pluginId}`;
/** Routes that need an agent's session: `/api/channels/<id>/<path>`. */
export const authenticatedPrefix = (pluginId: string) => `/api/channels/${pluginId}`;

export interface MountOptions {
  /** The session check of the rest of the API (AuthGuard's): the agent, or an UnauthorizedException. */
  authenticate(request: FastifyRequest): Promise<AuthenticatedAgent>;
  logger: Logger;
}

interface PluginRequest extends FastifyRequest {
  parleyRawBody?: Buffer;
  parleyAgent?: AuthenticatedAgent;
}

/**
 * Mounts one plugin's routes in their own Fastify scope, so the scope's body parsers (raw bytes
 * kept for signature checks, form posts) and error handler apply to plugin routes only. Session
 * checks run in onRequest: an unauthenticated caller is refused before its body is even read.
 * Errors leave in docs/api.md's error shape, through the same describeError as every other route.
 */
export function mountPluginRoutes(fastify: FastifyInstance, pluginId: string, routes: readonly DeclaredRoute[], options: MountOptions): void {
  if (routes.length === 0) return;
  void fastify.register(async (scope) => {
    installBodyParsers(scope);
    scope.setErrorHandler((error, request, reply) => {
      const described = describeError(error);
      if (described.statusCode >= 500) {
        options.logger.error({ err: error, plugin: pluginId, reqId: request.id, method: request.method, url: request.url }, 'channel plugin route failed');
      }
      void reply.status(described.statusCode).send(described);
    });

    for (const route of routes) {
      const url = `${route.public ? publicPrefix(pluginId) : authenticatedPrefix(pluginId)}/${route.path}`;
      scope.route({
        method: route.method,
        url,
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
          const channelRequest: ChannelRequest = {
            params: { ...(request.params as Record<string, string>) },
            query: { ...(request.query as Record<string, string | string[]>) },
            headers: { ...request.headers },
            body: request.body,
            ...(route.rawBody ? { rawBody: raw ?? Buffer.alloc(0) } : {}),
            ...(request.parleyAgent ? { agent: { ...request.parleyAgent } } : {}),
          };
          const response = await route.handler(channelRequest);
          const problem = responseProblem(response);
          if (problem) throw new Error(`plugin "${pluginId}" answered ${route.method} ${url} with an invalid response: ${problem}`);
          void reply.status(response.status);
          for (const [name, value] of Object.entries(response.headers ?? {})) void reply.header(name, value);
          return reply.send(response.body);
        },
      });
    }
  });
}

/**
 * JSON and form bodies are parsed (JSON through Fastify's own parser, with its prototype
 * poisoning protection, after the API's depth limit); every body's exact bytes are kept for routes that asked for rawBody.
 * Any other content type is read as bytes only.
 */
function installBodyParsers(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: PluginRequest, body: Buffer, done) => {
    request.parleyRawBody = body;
    const text = body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    const tooDeep = jsonDepthError(text);
    if (tooDeep) return done(tooDeep, undefined);
    parseJson(request, text, done);
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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ApiExcludeController,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type PathItemObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ApiMessageDto, PartyDto } from '../../plugins/api/api-message.dto';
import { PluginRegistry, type PluginRoute } from '../../plugins/registry/plugin-registry';
import { webControllers } from '../web/web.parts';
import { IS_PUBLIC } from './auth/auth.decorators';
import { SESSION_COOKIE } from './auth/session-tokens';
import { ErrorResponse } from './dto/responses.dto';

/** The Swagger UI page, its script and the files of swagger-ui-dist below it. */
export const API_DOCS_PATH = '/api/docs';
/** The OpenAPI document as JSON. */
export const API_DOCS_JSON_PATH = '/api/docs-json';

const BEARER = 'bearer';
const COOKIE = 'cookie';

/** What each tag groups; plugin routes go under "Channels". */
const TAGS: [string, string][] = [
  ['Auth', 'First-run setup, login and logout. Login answers a bearer token (and sets the session cookie for the web UI).'],
  ['Agents', 'The team: agents, roles, the caller itself and its availability.'],
  ['Inboxes', 'Inboxes, their members and email addresses, blocked senders.'],
  ['Views', 'The built-in views of an inbox (Unassigned, Assigned to me, …) and its custom views, with their conversations.'],
  ['Conversations', 'Search, read and change conversations. Commands accept `If-Match: "<revision>"` (409 when stale, nothing written).'],
  ['Email', 'Email that agents start: compose and forward.'],
  ['Audit', "A conversation's events straight from the log, and a check of its hash chain."],
  ['Channels', 'The channel plugins, and the routes they mount: `/api/channels/<id>/…` with a session, `/channels/<id>/…` public webhooks.'],
  ['Bots', "An inbox's bots (admins), and the bot API a webhook bot answers through with its own token (`/api/bot/…`, docs/webhook-bots.md)."],
  ['Notifications', "The caller's own notifications and how each kind reaches them (in the app, by email): docs/notifications.md."],
  ['Health', 'Readiness for load balancers.'],
];

/** Request bodies of built-in channels' routes (a plugin route declares no schema of its own). */
const PLUGIN_ROUTE_BODIES: Record<string, { model: new () => unknown; description: string }> = {
  'POST /api/channels/api/messages': {
    model: ApiMessageDto,
    description: 'A message from a custom integration: 201 for a new message, 200 with `duplicate: true` for an externalMessageId already received.',
  },
};

/** Models that no controller parameter names: the API channel's body and what it nests. */
const PLUGIN_MODELS = [ApiMessageDto, PartyDto];

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The OpenAPI document of the JSON API, built from the controllers, their DTOs and the routes the
 * channel plugins declared. The web UI's pages (HTML for browsers) are left out. Deterministic:
 * keys are sorted, so the exported file changes only when the API does.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  // The web UI's controllers serve HTML pages and forms, not the API.
  for (const controller of webControllers) ApiExcludeController()(controller);
  const builder = new DocumentBuilder()
    .setTitle('Parley API')
    .setVersion(PACKAGE_VERSION)
    .setDescription(
      'The JSON API of Parley, a shared conversations inbox. Authenticate with `POST /api/auth/login` and send ' +
        '`Authorization: Bearer <token>`; the web UI uses the session cookie instead (a state-changing request with ' +
        'the cookie must come from a Parley page). Errors answer `{ statusCode, error, message }`, the message naming ' +
        'the field and the value.',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'Parley session token', description: 'The token of `POST /api/auth/login`.' }, BEARER)
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', description: "The web UI's session cookie (set by login)." }, COOKIE)
    .addSecurityRequirements(BEARER)
    .addSecurityRequirements(COOKIE);
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ErrorResponse, ApiMessageDto],
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  const controllers = controllerClasses(app);
  markPublicOperations(controllers, document);
  addPluginRoutes(document, app.get(PluginRegistry).routes());
  addErrorResponses(document);
  addValidationLimits(document, controllers, PLUGIN_MODELS);
  return sortKeys(document);
}

/** Serves the document at /api/docs-json and Swagger UI at /api/docs; both public (they hold no data, only the API's shape). */
export function installApiReference(app: NestFastifyApplication): void {
  let document: string | null = null;
  // Built on the first request: start-up does not pay for it, and every plugin route is known by then.
  const json = () => (document ??= JSON.stringify(buildOpenApiDocument(app)));
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  // In a plugin scope, like the channel plugins' routes: registered when Fastify boots, after every hook is in place.
  void fastify.register(async (scope) => {
    scope.get(API_DOCS_JSON_PATH, (_request, reply) => reply.type('application/json; charset=utf-8').send(json()));
    scope.get(API_DOCS_PATH, (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));
    scope.get(`${API_DOCS_PATH}/parley-docs.js`, (_request, reply) => reply.type('text/javascript; charset=utf-8').send(DOCS_SCRIPT));
    // Swagger UI's own script and style sheet, from the installed package (never a CDN).
    await scope.register(fastifyStatic, {
      root: swaggerUiFolder(),
      prefix: `${API_DOCS_PATH}/`,
      decorateReply: false,
      index: false,
      allowedPath: (path) => SWAGGER_UI_FILES.includes(path),
    });
  });
}

const SWAGGER_UI_FILES = ['/swagger-ui.css', '/swagger-ui-bundle.js'];

function swaggerUiFolder(): string {
  return join(require.resolve('swagger-ui-dist/package.json'), '..');
}

/**
 * No inline script or style, so the page runs under the same Content-Security-Policy as every
 * other page: the set-up lives in parley-docs.js. The empty icon spares a request for /favicon.ico.
 */
const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Parley API reference</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${API_DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${API_DOCS_PATH}/parley-docs.js"></script>
</body>
</html>
`;

/** The validator badge is off: it would send the document to a third-party site. */
const DOCS_SCRIPT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(API_DOCS_JSON_PATH)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

type Operations = Partial<Record<'get' | 'put' | 'post' | 'delete' | 'patch', OperationObject>>;

function operations(document: OpenAPIObject): OperationObject[] {
  return Object.values(document.paths).flatMap((item: PathItemObject) =>
    (['get', 'put', 'post', 'delete', 'patch'] as const).map((method) => (item as Operations)[method]).filter((op): op is OperationObject => op !== undefined),
  );
}

type Controller = new (...args: never[]) => object;

function controllerClasses(app: INestApplication): Controller[] {
  return [...app.get(ModulesContainer).values()]
    .flatMap((module) => [...module.controllers.values()].map((wrapper) => wrapper.metatype as Controller | null))
    .filter((c): c is Controller => c !== null);
}

/** A controller's route handlers by name (read from the descriptors: reading a getter on the prototype would run it). */
function handlers(controller: Controller): [string, (...args: never[]) => unknown][] {
  return Object.getOwnPropertyNames(controller.prototype).flatMap((name) => {
    const value: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
    return typeof value === 'function' && name !== 'constructor' ? [[name, value as (...args: never[]) => unknown]] : [];
  });
}

/** Routes marked @Public() need no session: `security: []` overrides the document's default. */
function markPublicOperations(controllers: readonly Controller[], document: OpenAPIObject): void {
  const publicIds = new Set<string>();
  for (const controller of controllers) {
    for (const [name, handler] of handlers(controller)) {
      if (Reflect.getMetadata(IS_PUBLIC, handler) === true) publicIds.add(`${controller.name.replace(/Controller$/, '')}_${name}`);
    }
  }
  for (const operation of operations(document)) if (operation.operationId && publicIds.has(operation.operationId)) operation.security = [];
}

/** The channel plugins' routes are mounted on Fastify directly, outside Nest: described from what each plugin declared. */
function addPluginRoutes(document: OpenAPIObject, routes: readonly PluginRoute[]): void {
  // A plugin's pages (a support form's hosted page) are HTML for browsers, like the web UI's: not API routes.
  for (const route of routes.filter((r) => !r.page)) {
    const path = route.url.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, '{$1}');
    const parameters: ParameterObject[] = [...route.url.matchAll(/:([A-Za-z][A-Za-z0-9_]*)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const known = PLUGIN_ROUTE_BODIES[`${route.method} ${route.url}`];
    const operation: OperationObject = {
      tags: ['Channels'],
      operationId: `plugin_${route.pluginId}_${route.method.toLowerCase()}_${route.path.replace(/[^A-Za-z0-9]+/g, '_')}`,
      summary: `${route.method} ${route.path} of the ${route.pluginName} channel plugin`,
      description:
        known?.description ??
        (route.public
          ? 'A public webhook of the channel plugin: no session; the plugin checks what it receives (e.g. a signature).'
          : "A route of the channel plugin; it needs an agent's session like the rest of the API."),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.method === 'POST'
        ? {
            requestBody: {
              required: true,
              content: known
                ? { 'application/json': { schema: { $ref: `#/components/schemas/${known.model.name}` } } }
                : route.rawBody
                  ? { '*/*': { schema: { type: 'string', format: 'binary' } } }
                  : { 'application/json': { schema: { type: 'object' } }, 'application/x-www-form-urlencoded': { schema: { type: 'object' } } },
            },
          }
        : {}),
      responses: { '200': { description: "The plugin's answer." } },
      ...(route.public ? { security: [] } : {}),
    };
    const item = (document.paths[path] ??= {}) as Operations;
    item[route.method === 'GET' ? 'get' : 'post'] = operation;
  }
}

/** Every error has one shape; a route that needs a session may answer 401. */
function addErrorResponses(document: OpenAPIObject): void {
  const error = { $ref: '#/components/schemas/ErrorResponse' };
  for (const operation of operations(document)) {
    operation.responses.default ??= { description: 'An error: the message names the field and the value.', content: { 'application/json': { schema: error } } };
    if (!(Array.isArray(operation.security) && operation.security.length === 0)) {
      operation.responses['401'] ??= { description: 'No session, or one that has ended.', content: { 'application/json': { schema: error } } };
    }
  }
}

type Model = new () => object;
type ValidationRule = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

const rulesOf = (model: Model): ValidationRule[] => getMetadataStorage().getTargetValidationMetadatas(model, '', true, false);

/**
 * Copies the class-validator rules of the request DTOs into their schemas and into the query
 * parameters expanded from them (lengths, patterns, sizes, ranges, choices), so the reference
 * cannot drift from what is enforced.
 */
function addValidationLimits(document: OpenAPIObject, controllers: readonly Controller[], pluginModels: readonly Model[]): void {
  const schemas = document.components?.schemas ?? {};
  const limitSchema = (model: Model) => {
    const schema = schemas[model.name] as SchemaObject | undefined;
    for (const rule of rulesOf(model)) applyRule(rule, schema?.properties?.[rule.propertyName] as SchemaObject | undefined);
  };
  pluginModels.forEach(limitSchema);
  const byId = new Map(operations(document).map((operation) => [operation.operationId, operation]));
  for (const controller of controllers) {
    for (const [name] of handlers(controller)) {
      const operation = byId.get(`${controller.name.replace(/Controller$/, '')}_${name}`);
      for (const model of requestModels(controller, name)) {
        limitSchema(model);
        // A query object is expanded into one parameter per property.
        const query = (operation?.parameters ?? []).filter((p): p is ParameterObject => 'in' in p && p.in === 'query');
        for (const rule of rulesOf(model)) applyRule(rule, query.find((p) => p.name === rule.propertyName)?.schema as SchemaObject | undefined);
      }
    }
  }
}

/** The classes a route handler takes (bodies and query objects) that carry validation rules. */
function requestModels(controller: Controller, handler: string): Model[] {
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, handler) ?? []) as unknown[];
  return types.filter((type): type is Model => typeof type === 'function' && rulesOf(type as Model).length > 0);
}

function applyRule(rule: ValidationRule, property: SchemaObject | undefined): void {
  if (!property || '$ref' in property) return;
  const target = rule.each && property.type === 'array' && property.items && !('$ref' in property.items) ? (property.items as SchemaObject) : property;
  const [first] = rule.constraints ?? [];
  switch (rule.name) {
    case 'maxLength':
      target.maxLength = first;
      break;
    case 'minLength':
      target.minLength = first;
      break;
    case 'matches':
      target.pattern = (first as RegExp).source;
      break;
    case 'isIn':
      target.enum ??= [...(first as unknown[])];
      break;
    case 'min':
      target.minimum = first;
      break;
    case 'max':
      target.maximum = first;
      break;
    case 'arrayMinSize':
      property.minItems = first;
      break;
    case 'arrayMaxSize':
      property.maxItems = first;
      break;
    case 'isUuid':
      target.format ??= 'uuid';
      break;
  }
}

/** Objects with their keys in order (arrays keep theirs): the same API gives the same bytes. */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  ) as T;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { getMetadataStorage } from 'class-validator';
import { API_DOCS_JSON_PATH, API_DOCS_PATH } from '../../src/infrastructure/http/openapi';
import { exportOpenApiDocument } from '../../src/infrastructure/http/openapi-export';
import { BulkDto, ViewConversationsQueryDto } from '../../src/infrastructure/http/dto/conversation.dto';
import { PAGE_CSP } from '../../src/infrastructure/web/web-security';
import { startTestApp, type TestApp } from '../support/app-harness';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, startUiApp, type UiApp } from '../support/ui-harness';
import { routeCollector } from './authorization-matrix/fixture';
import { ROUTE_TABLE } from './authorization-matrix/route-table';

const EXPORTED = join(__dirname, '..', '..', 'docs', 'openapi.json');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: {
    schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
    securitySchemes: Record<string, { type: string; in?: string; scheme?: string }>;
  };
  security: Record<string, unknown>[];
}

/** "METHOD /path/{id}" for every operation of the document. */
function documentedRoutes(document: Document): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`));
}

/** Fastify's "GET /api/x/:id" as the document writes it. */
const asDocumented = (route: string) => route.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, '{$1}');

describe('the API reference (OpenAPI)', () => {
  let t: TestApp;
  let document: Document;
  const collector = routeCollector();

  beforeAll(async () => {
    t = await startTestApp({ beforeInit: (app) => collector.install(app) });
    const res = await t.request('GET', API_DOCS_JSON_PATH);
    expect(res.status).toBe(200);
    document = res.body as Document;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('docs/openapi.json is the document the code generates', async () => {
    const generated = await exportOpenApiDocument();
    const committed = readFileSync(EXPORTED, 'utf8');
    if (committed !== generated) {
      throw new Error('docs/openapi.json differs from the API the code describes: run `npm run openapi` and commit docs/openapi.json');
    }
    // What the server answers is that same document.
    expect(document).toEqual(JSON.parse(generated));
  }, 60_000);

  it('is served without a session (it holds no data), as JSON, and the page at /api/docs too', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const page = await t.request('GET', API_DOCS_PATH);
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    // The page's own script and Swagger UI's files, from the installed package.
    for (const file of ['parley-docs.js', 'swagger-ui-bundle.js', 'swagger-ui.css']) {
      expect({ file, status: (await t.request('GET', `${API_DOCS_PATH}/${file}`)).status }).toEqual({ file, status: 200 });
    }
    // Only those: the rest of swagger-ui-dist (its demo page, the source maps) is not served.
    for (const file of ['index.html', 'swagger-initializer.js', 'swagger-ui-bundle.js.map', '../package.json']) {
      expect({ file, status: (await t.request('GET', `${API_DOCS_PATH}/${file}`)).status }).toEqual({ file, status: 404 });
    }
  });

  it("describes every route of the JSON API, the channel plugins' included, and nothing that is not a route", () => {
    const routes = [...new Set(collector.routes)].filter((route) => !route.startsWith('HEAD ') && !route.startsWith('OPTIONS '));
    // The web UI's pages and forms are HTML for browsers; the document itself is not an API route.
    // A route not yet in the table (the matrix fails on it) counts as API when it lives under /api or /channels.
    const isApi = (route: string) => {
      const entry = ROUTE_TABLE[route];
      return entry ? entry.surface === 'api' : /^[A-Z]+ \/(api|channels)\//.test(route);
    };
    const api = routes.filter((route) => isApi(route) && route !== `GET ${API_DOCS_JSON_PATH}`).map(asDocumented);
    const documented = documentedRoutes(document);
    expect(api.filter((route) => !documented.includes(route)).sort()).toEqual([]);
    expect(documented.filter((route) => !api.includes(route)).sort()).toEqual([]);
    expect(documented).toEqual(expect.arrayContaining(['POST /api/channels/api/messages', 'GET /api/channels/email/blobs/{id}', 'GET /health']));
  });

  it('names the bearer token and the session cookie, and marks exactly the public routes as needing neither', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.cookie).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(document.security).toEqual([{ bearer: [] }, { cookie: [] }]);
    const wrong: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const key = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
        const isPublic = ROUTE_TABLE[key]?.access === 'public';
        const documentedPublic = Array.isArray(operation.security) && operation.security.length === 0;
        if (isPublic !== documentedPublic)
          wrong.push(`${key}: ${isPublic ? 'public' : 'needs a session'}, documented as ${documentedPublic ? 'public' : 'needing a session'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('describes the answers of the main routes, and every error in one shape', () => {
    const answer = (method: (typeof METHODS)[number], path: string, status: string) =>
      document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
    expect(answer('get', '/api/conversations/{id}', '200')).toEqual({ $ref: '#/components/schemas/ConversationDetail' });
    expect(answer('get', '/api/conversations', '200')).toEqual({ $ref: '#/components/schemas/ConversationPage' });
    expect(answer('get', '/api/views/{viewId}/conversations', '200')).toEqual({ $ref: '#/components/schemas/ConversationPage' });
    expect(answer('post', '/api/auth/login', '200')).toEqual({ $ref: '#/components/schemas/SessionResponse' });
    expect(answer('post', '/api/conversations/{id}/assign', '200')).toEqual({ $ref: '#/components/schemas/CommandResult' });
    expect(Object.keys(document.components.schemas.ConversationSummary.properties ?? {})).toEqual(
      expect.arrayContaining(['assignee', 'awaitingReply', 'lastReceivedAt', 'revision', 'status']),
    );
    const withoutErrorShape = documentedRoutes(document).filter((route) => {
      const [method, path] = route.split(' ');
      return answer(method.toLowerCase() as (typeof METHODS)[number], path, 'default')?.$ref !== '#/components/schemas/ErrorResponse';
    });
    expect(withoutErrorShape).toEqual([]);
    expect(document.paths['/api/channels/api/messages'].post?.requestBody?.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ApiMessageDto',
    });
  });

  it("request schemas carry the rules the API enforces (from the DTOs' validators)", () => {
    const rules = getMetadataStorage().getTargetValidationMetadatas(BulkDto, '', true, false);
    const limit = (name: string) => rules.find((rule) => rule.propertyName === 'ids' && rule.name === name)?.constraints[0];
    expect(document.components.schemas.BulkDto.properties?.ids).toMatchObject({
      type: 'array',
      minItems: limit('arrayMinSize'),
      maxItems: limit('arrayMaxSize'),
      items: { format: 'uuid' },
    });
    expect(document.components.schemas.BulkDto.properties?.action).toMatchObject({ enum: ['close', 'trash'] });
    expect(document.components.schemas.LoginDto.properties?.password).toMatchObject({ minLength: 1, maxLength: 1024 });
    expect(document.components.schemas.ApiMessageDto.properties?.from).toEqual({ $ref: '#/components/schemas/PartyDto' });
    // Query objects too: each property became a parameter with its own limits.
    const viewQuery = document.paths['/api/views/{viewId}/conversations'].get?.parameters ?? [];
    const queryRules = getMetadataStorage().getTargetValidationMetadatas(ViewConversationsQueryDto, '', true, false);
    const queryLimit = (name: string) => queryRules.find((rule) => rule.propertyName === 'limit' && rule.name === name)?.constraints[0];
    expect(viewQuery.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', minimum: queryLimit('min'), maximum: queryLimit('max') });
    expect(viewQuery.find((p) => p.name === 'cursor')?.schema).toMatchObject({ pattern: expect.any(String), maxLength: 512 });
  });
});

const missingChromium = chromiumMissing();
if (missingChromium) {
  reportSkippedSuite('API reference page in Chromium', missingChromium, 'chromium');
  it.skip('API reference page in Chromium (Chromium not installed)', () => undefined);
} else {
  describe('the API reference page in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;

    beforeAll(async () => {
      ui = await startUiApp();
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    it('renders every operation under the page Content-Security-Policy, with nothing refused and no request elsewhere', async () => {
      const page = await (await browser.newContext()).newPage();
      const problems: string[] = [];
      const elsewhere: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('response', (answer) => {
        if (answer.status() >= 400) problems.push(`${answer.status()} for ${answer.url()}`);
      });
      page.on('request', (request) => {
        if (!request.url().startsWith(ui.baseUrl) && !request.url().startsWith('data:')) elsewhere.push(request.url());
      });
      // Runs in the page before its own scripts (the CSP does not apply to what the test injects).
      await page.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP refused ' + e.violatedDirective + ': ' + e.blockedURI));",
      });
      const response = await page.goto(`${ui.baseUrl}${API_DOCS_PATH}`);
      expect(response?.headers()['content-security-policy']).toBe(PAGE_CSP);
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      const expected = documentedRoutes((await ui.api('GET', API_DOCS_JSON_PATH)).body as Document).length;
      expect(await page.locator('.opblock').count()).toBe(expected);
      await page.locator('.opblock-summary-path', { hasText: '/api/auth/login' }).first().waitFor();
      expect({ problems, elsewhere }).toEqual({ problems: [], elsewhere: [] });
    }, 60_000);
  });
}

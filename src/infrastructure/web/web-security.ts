import { ForbiddenException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EMAIL_FRAME_STYLE_DIRECTIVES } from './email-html';
import { SESSION_COOKIE } from '../http/auth/session-tokens';
import { PUBLIC_ROUTES_PREFIX } from '../../plugins/registry/mount-plugin-routes';

/**
 * Every page: only our own files run (no inline script or style, no eval), frames only from us
 * (the email-body frames), nothing may frame us. htmx needs nothing more: its inline indicator
 * styles are switched off and `hx-on` (eval) is not used.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * An email's HTML, shown in `<iframe sandbox>`: no script at all (also when the URL is opened on
 * its own: the `sandbox` directive), no forms, inline styles and the frame's own style sheet only,
 * images from anywhere (remote images are what emails contain), framed only by our own pages.
 */
export const EMAIL_BODY_CSP = [
  "default-src 'none'",
  'img-src * data:',
  ...EMAIL_FRAME_STYLE_DIRECTIVES,
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
  'sandbox allow-popups allow-popups-to-escape-sandbox',
].join('; ');

/**
 * Security headers for every response, and the page CSP for every HTML response that did not set
 * its own (the email-body route sets EMAIL_BODY_CSP).
 */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('X-Content-Type-Options', 'nosniff');
    if (!reply.hasHeader('Referrer-Policy')) void reply.header('Referrer-Policy', 'same-origin');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !reply.hasHeader('Content-Security-Policy')) {
      void reply.header('Content-Security-Policy', PAGE_CSP);
      void reply.header('X-Frame-Options', 'DENY');
    }
    done(null, payload);
  });
}

/**
 * HTML forms post `application/x-www-form-urlencoded`. Only the web UI's routes accept it: the
 * JSON API keeps refusing it (415), so a cross-site HTML form can never reach `/api`.
 */
export function installFormParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (isApiUrl(request.url)) return done(unsupportedMediaType(request.headers['content-type'], request.url), undefined);
    const form: Record<string, string | string[]> = Object.create(null);
    for (const [key, value] of new URLSearchParams(body.toString())) {
      const existing = form[key];
      form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    done(null, form);
  });
}

/**
 * CSRF defence for state-changing UI requests, on top of the SameSite=Strict session cookie:
 * the request must come from our own pages, shown by htmx's `HX-Request` header (a cross-site
 * form cannot set headers) or by an `Origin` that is this very host.
 */
export function assertSameOrigin(request: FastifyRequest): void {
  if (isFromOurPages(request)) return;
  throw new ForbiddenException('this form must be sent from a Parley page (Origin or HX-Request missing or foreign); reload the page and try again');
}

function isFromOurPages(request: FastifyRequest): boolean {
  // htmx requests are same-origin fetches; an Origin, when present, must still match.
  if (request.headers['hx-request'] === 'true') return request.headers.origin === undefined || originMatches(request);
  return originMatches(request);
}

function originMatches(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string' || origin === 'null') return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The checks every route gets, Nest's and the channel plugins' alike (root-level hooks reach the
 * plugins' scopes too):
 * - A state-changing request authenticated by the session cookie must come from our own pages
 *   (assertSameOrigin's rule). SameSite=Strict does not stop a page on another port of the same
 *   host: to the browser that is the same site, and it sends the cookie along. A bearer token
 *   needs no such proof (a page elsewhere cannot set the header), and public webhooks never read
 *   the cookie.
 * - Answers carry `Cache-Control: no-store` unless the route chose its own (static assets):
 *   conversations, blobs and fragments must not linger in a browser or proxy cache.
 */
export function installRequestGuards(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method) || request.url.startsWith(PUBLIC_ROUTES_PREFIX)) return;
    if (hasBearerToken(request) || !hasSessionCookie(request) || isFromOurPages(request)) return;
    throw new ForbiddenException(
      `a ${request.method} with the session cookie must come from a Parley page (an Origin of this server, or HX-Request); ` +
        'other clients send "Authorization: Bearer <token>" from POST /api/auth/login',
    );
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('Cache-Control')) void reply.header('Cache-Control', 'no-store');
    done(null, payload);
  });
}

function hasBearerToken(request: FastifyRequest): boolean {
  const header = request.headers.authorization;
  return typeof header === 'string' && /^Bearer\s+\S+$/i.test(header);
}

function hasSessionCookie(request: FastifyRequest): boolean {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return false;
  return header.split(';').some((part) => {
    const [name, value] = part.split('=', 2).map((text) => text.trim());
    return name === SESSION_COOKIE && value !== undefined && value !== '';
  });
}

function isApiUrl(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

/** The 415 for a body of a type the route does not read, naming the type to send instead. */
export function unsupportedMediaType(contentType: string | undefined, url: string): UnsupportedMediaTypeException {
  const expected = isApiUrl(url) ? 'application/json' : 'application/x-www-form-urlencoded or application/json';
  const got = contentType ? contentType.split(';')[0].trim() : 'a body without Content-Type';
  return new UnsupportedMediaTypeException(`send the body as ${expected} (got ${got})`);
}

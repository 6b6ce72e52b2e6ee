import { ForbiddenException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

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
 * its own: the `sandbox` directive), no forms, styles inline only, images from anywhere (remote
 * images are what emails contain), framed only by our own pages.
 */
export const EMAIL_BODY_CSP = [
  "default-src 'none'",
  'img-src * data:',
  "style-src 'unsafe-inline'",
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
    if (request.url.startsWith('/api/') || request.url === '/api') {
      const error = Object.assign(new Error('send the body as application/json'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
      return done(error, undefined);
    }
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
  if (request.headers['hx-request'] === 'true') {
    // htmx requests are same-origin fetches; an Origin, when present, must still match.
    if (request.headers.origin === undefined || originMatches(request)) return;
  } else if (originMatches(request)) {
    return;
  }
  throw new ForbiddenException('this form must be sent from a Parley page (Origin or HX-Request missing or foreign); reload the page and try again');
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

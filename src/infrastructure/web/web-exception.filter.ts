import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_LOGGER, type AppLogger } from '../../application/ports/logger.port';
import { describeError } from '../http/describe-error';
import type { Locale } from '../i18n/i18n';
import { requestLocale } from '../i18n/request-locale';
import { WebRenderer } from './web-renderer';

/**
 * Errors of the web UI's routes (the JSON API keeps HttpExceptionFilter). Without a session a page
 * redirects to /login (htmx requests get `HX-Redirect`); other errors become a message: a flash
 * notice for htmx requests (swapped into #flash), an error page otherwise.
 */
@Catch()
export class WebExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly renderer: WebRenderer,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const locale = requestLocale(request);
    // The refusal in the reader's language, as the API words it for them.
    const described = describeError(exception, locale);
    const isHtmx = request.headers['hx-request'] === 'true';
    if (reply.sent || reply.raw.headersSent) return;
    if (described.statusCode >= 500) {
      this.logger.error({ err: exception, reqId: request.id, method: request.method, url: request.url }, 'web request failed');
    }
    if (described.statusCode === 401) {
      const next = request.method === 'GET' && !isHtmx ? request.url : currentPage(request);
      const location = `/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`;
      if (isHtmx || request.url.startsWith('/events')) {
        void reply.status(401).header('HX-Redirect', location).type('text/plain; charset=utf-8').send('log in again');
      } else {
        void reply.status(303).header('Location', location).send();
      }
      return;
    }
    const message = inLocalTime(Array.isArray(described.message) ? described.message.join('; ') : described.message, locale);
    if (isHtmx) {
      void reply
        .status(described.statusCode)
        .header('HX-Retarget', '#flash')
        .header('HX-Reswap', 'outerHTML')
        .type('text/html; charset=utf-8')
        .send(this.renderer.flash(locale, 'error', message));
      return;
    }
    void reply
      .status(described.statusCode)
      .type('text/html; charset=utf-8')
      .send(this.renderer.errorPage(locale, described.statusCode, described.error, message));
  }
}

// An instant as the API words it (UTC, ISO 8601), e.g. in "close it from 2026-11-24T10:30:00.000Z".
const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z\b/g;

/** An agent reads times in their own zone and language; the JSON API keeps the UTC instant. */
function inLocalTime(message: string, locale: Locale): string {
  return message.replace(ISO_INSTANT, (iso) => locale.formatDate(iso, 'long') || iso);
}

/** The page an htmx request was made from (`HX-Current-URL`), as a path, to come back to after login. */
function currentPage(request: FastifyRequest): string | null {
  const header = request.headers['hx-current-url'];
  if (typeof header !== 'string') return null;
  try {
    const url = new URL(header);
    return url.host === request.headers.host ? `${url.pathname}${url.search}` : null;
  } catch {
    return null;
  }
}

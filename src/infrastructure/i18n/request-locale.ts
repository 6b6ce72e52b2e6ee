import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { resolveLocale, type Locale } from './i18n';

/** The cookie the web UI sets from the browser's `Intl.DateTimeFormat().resolvedOptions().timeZone`. */
export const TIME_ZONE_COOKIE = 'parley_tz';

interface LocaleRequest {
  headers: Record<string, string | string[] | undefined>;
  agent?: { language?: string | null; timeZone?: string | null };
}

/**
 * The locale of a request: the signed-in agent's saved language and zone first, else the
 * browser's `Accept-Language` and reported zone, else English and UTC.
 */
export function requestLocale(request: LocaleRequest): Locale {
  return resolveLocale({
    savedLanguage: request.agent?.language,
    savedTimeZone: request.agent?.timeZone,
    acceptLanguage: request.headers['accept-language'],
    browserTimeZone: cookie(request.headers.cookie, TIME_ZONE_COOKIE),
  });
}

/** Whether the zone came from the agent's saved choice (else the page may correct it from the browser). */
export function hasSavedTimeZone(request: LocaleRequest): boolean {
  return Boolean(request.agent?.timeZone);
}

/** The request's Locale as a controller parameter. */
export const RequestLocale = createParamDecorator((_data: unknown, context: ExecutionContext): Locale =>
  requestLocale(context.switchToHttp().getRequest<LocaleRequest>()),
);

function cookie(header: string | string[] | undefined, name: string): string | null {
  const value = Array.isArray(header) ? header.join('; ') : header;
  if (!value) return null;
  for (const part of value.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return null;
    }
  }
  return null;
}

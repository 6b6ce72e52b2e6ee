import { StoreUnavailableError } from '../../application/ports/event-store.port';

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN)/;

/**
 * A locked or unopenable file is a condition to retry (503): the StoreUnavailableError saying so,
 * naming `store` ("plugin storage"); null for any other error, which the caller propagates as-is,
 * because only the ports' own errors carry a meaning callers can act on.
 */
export function retryableSqliteError(error: unknown, store: string): StoreUnavailableError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !UNAVAILABLE_CODES.test(code)) return null;
  return new StoreUnavailableError(`${store} is unavailable (${code}: ${(error as Error).message}); retry shortly`, error);
}

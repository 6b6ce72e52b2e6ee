import { HttpException } from '@nestjs/common';
import { AccessDeniedError, InvalidRequestError, NotFoundError, RateLimitedError } from '../../application/access/inbox-access';
import { SetupAlreadyDoneError } from '../../application/agents/agent-commands.handler';
import { PasswordHashingBusyError } from '../../application/agents/password-hasher';
import { ConcurrencyError, CorruptEventError, StoreUnavailableError } from '../../application/ports/event-store.port';
import { InvalidCursorError } from '../../application/ports/read-store.port';
import { InvalidFiltersError } from '../../application/search/conversation-filters';
import { DomainError } from '../../domain/shared/domain-error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  /** Seconds after which a retry may succeed (503). */
  retryAfter?: number;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const DOMAIN_STATUS: Record<DomainError['code'], number> = {
  'not-found': 404,
  'invalid-transition': 409,
  'invalid-input': 400,
  conflict: 409,
};

const body = (statusCode: number, message: string | string[]): ErrorBody => ({ statusCode, error: REASONS[statusCode] ?? 'Error', message });

/**
 * One mapping from every error the application can raise to docs/api.md's error shape. Unknown errors
 * become a 500 whose message reveals nothing internal (the details go to the log).
 */
export function describeError(error: unknown): ErrorBody {
  if (error instanceof DomainError) return body(DOMAIN_STATUS[error.code], error.message);
  if (error instanceof ConcurrencyError) {
    return body(409, `the conversation changed meanwhile (expected revision ${String(error.expected)}, now ${String(error.actual)}); reload it and try again`);
  }
  if (error instanceof AccessDeniedError) return body(403, error.message);
  if (error instanceof NotFoundError) return body(404, error.message);
  if (error instanceof InvalidRequestError) return body(400, error.message);
  if (error instanceof InvalidCursorError) return body(400, error.message);
  if (error instanceof InvalidFiltersError) return body(400, error.errors);
  if (error instanceof SetupAlreadyDoneError) return body(409, error.message);
  if (error instanceof CorruptEventError) return body(500, error.message);
  if (error instanceof RateLimitedError) return { ...body(429, error.message), retryAfter: error.retryAfterSeconds };
  if (error instanceof PasswordHashingBusyError) return { ...body(429, error.message), retryAfter: error.retryAfterSeconds };
  if (error instanceof StoreUnavailableError) return { ...body(503, 'storage is unavailable right now; retry shortly'), retryAfter: 5 };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: string | string[] }).message ?? error.message);
    return body(status, message);
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return body(413, 'the request body is larger than PARLEY_BODY_LIMIT_BYTES allows');
    if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return body(415, 'send the body as application/json');
    if (fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return body(400, 'the body is empty but Content-Type is application/json; send a JSON object');
    return body(fastify.statusCode, fastify.message ?? 'bad request');
  }
  if (error instanceof SyntaxError) return body(400, `the body is not valid JSON: ${error.message}`);
  return body(500, 'an unexpected error occurred; it has been logged');
}

import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { requestLocale } from '../i18n/request-locale';
import { redactSecretQuery } from '../logging/logger';
import { describeError } from './describe-error';

/**
 * Every error leaves as docs/api.md's `{statusCode, error, code, message}`, the message in the
 * reader's language (the signed-in agent's, else Accept-Language's); 5xx are logged with the request id.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const described = describeError(exception, requestLocale(request));
    if (described.statusCode >= 500) {
      this.logger.error({ err: exception, reqId: request.id, method: request.method, url: redactSecretQuery(request.url) }, 'request failed');
    }
    if (described.retryAfter) void reply.header('Retry-After', String(described.retryAfter));
    void reply.status(described.statusCode).send(described);
  }
}

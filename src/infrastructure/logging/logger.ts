import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import type { LogLevel } from '../config/config';

/** Field names whose values never reach a log line, wherever they sit in a logged object. */
const SECRET_FIELDS = ['password', 'passwordHash', 'token', 'secret', 'authorization', 'cookie', 'set-cookie'];
// pino's wildcards match one level each, so each field is listed at the depths objects are
// logged with: top level, `{ agent: { password } }`, `{ req: { headers: { authorization } } }`
// and one more for wrapped errors (`err.config.headers.authorization`).
const MAX_DEPTH = 3;

export const REDACTED_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => {
    const parents = '*.'.repeat(depth);
    return /^\w+$/.test(field) ? `${parents}${field}` : `${parents.slice(0, -1)}[${JSON.stringify(field)}]`;
  }),
);

/**
 * The process-wide logger: JSON lines on stdout (or the given destination, for tests), every
 * line tagged `service: "parley"`, secrets replaced by "[Redacted]".
 */
export function createLogger(options: { level: LogLevel }, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'parley' },
      redact: { paths: [...REDACTED_PATHS] },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

// Nest's own format check for "this string is a stack trace" (ConsoleLogger.isStackFormat).
const STACK_TRACE = /^(.)+\n\s+at .+:\d+:\d+/;

/**
 * Nest's start-up chatter: a line per module (InstanceLoader), per controller (RoutesResolver)
 * and per route (RouterExplorer), well over a hundred lines. They are kept at debug and counted;
 * "application started" becomes one info line with the counts.
 */
const START_UP_DETAIL: Record<string, 'modules' | 'controllers' | 'routes'> = {
  InstanceLoader: 'modules',
  RoutesResolver: 'controllers',
  RouterExplorer: 'routes',
};
const FOLDED_INFO_CONTEXTS = new Set(['NestFactory', 'NestApplication']);

/**
 * Routes Nest's framework logs (module init, route mapping, unhandled exceptions) into pino, so
 * every line from the process has one format. Nest passes the context (a class name) as the
 * last string argument; it becomes the `context` field. Its start-up lines are folded into one.
 */
export class PinoNestLogger implements LoggerService {
  private readonly startUp = { modules: 0, controllers: 0, routes: 0 };

  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1);
    if (typeof context === 'string' && (context in START_UP_DETAIL || FOLDED_INFO_CONTEXTS.has(context))) {
      this.write('debug', message, params);
      if (context in START_UP_DETAIL) this.startUp[START_UP_DETAIL[context]] += 1;
      // Nest's last start-up line: "Nest application successfully started".
      if (context === 'NestApplication') this.logger.info({ ...this.startUp }, 'application started');
      return;
    }
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    const rest = [...params];
    const context = takeContext(rest);
    // Nest calls error(message, stack?, context?); the stack may be undefined.
    const stack = typeof rest[0] === 'string' || rest[0] === undefined ? (rest.shift() as string | undefined) : undefined;
    this.emit('error', message, context, rest, stack);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context = takeContext(rest);
    this.emit(level, message, context, rest);
  }

  private emit(level: Level, message: unknown, context: string | undefined, extra: unknown[], stack?: string): void {
    const fields: Record<string, unknown> = {};
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    if (extra.length > 0) fields.params = extra;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...(message as Record<string, unknown>), ...fields });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}

/** Removes and returns the trailing context argument, as Nest's ConsoleLogger reads it. */
function takeContext(params: unknown[]): string | undefined {
  const last = params.at(-1);
  if (params.length > 0 && typeof last === 'string' && !STACK_TRACE.test(last)) {
    params.pop();
    return last;
  }
  return undefined;
}

/** Query parameters whose values never reach a log line: Meta's `hub.verify_token`, any `…token`, `…secret`, a password. */
const SECRET_QUERY = /([?&](?:[\w.-]*token|[\w.-]*secret|password)=)[^&#]*/gi;

/** A URL as a log line shows it: the values of secret query parameters replaced by "[Redacted]". */
export function redactSecretQuery(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[Redacted]');
}

/** Fastify's request fields for its request log lines, with the URL's secret query values redacted. */
export function requestForLog(req: {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: req.method,
    url: redactSecretQuery(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

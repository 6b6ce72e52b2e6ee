import { Writable } from 'node:stream';
import { createLogger, PinoNestLogger } from '../../src/infrastructure/logging/logger';

/** A destination that keeps each JSON line pino writes, parsed. */
function capture(): { stream: Writable; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines tagged service "parley" at the configured level', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'warn' }, stream);
    logger.info('not at this level');
    logger.warn({ conversationId: 'c-1', position: 7 }, 'projection lagging');
    expect(lines).toEqual([expect.objectContaining({ level: 40, service: 'parley', conversationId: 'c-1', position: 7, msg: 'projection lagging' })]);
  });

  it('redacts passwords, tokens, secrets, authorization and cookies wherever they sit', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info' }, stream);
    logger.info(
      {
        password: 'top-level-password',
        token: 'top-level-token',
        agent: { email: 'ada@acme.test', passwordHash: 'scrypt$hash', password: 'nested-password' },
        req: {
          method: 'POST',
          url: '/api/auth/login',
          headers: { authorization: 'Bearer eyJ-session', cookie: 'parley_session=abc', 'content-type': 'application/json' },
        },
        res: { headers: { 'set-cookie': 'parley_session=def; HttpOnly' } },
        err: { config: { headers: { authorization: 'Basic deep' } }, secret: 'err-secret' },
        session: { token: 'nested-token' },
        plugin: { secret: 'webhook-secret' },
      },
      'login',
    );
    const text = JSON.stringify(lines);
    for (const leaked of [
      'top-level-password',
      'top-level-token',
      'scrypt$hash',
      'nested-password',
      'eyJ-session',
      'parley_session=abc',
      'parley_session=def',
      'Basic deep',
      'err-secret',
      'nested-token',
      'webhook-secret',
    ]) {
      expect(text).not.toContain(leaked);
    }
    const [line] = lines;
    expect(line.agent).toEqual({ email: 'ada@acme.test', passwordHash: '[Redacted]', password: '[Redacted]' });
    expect(line.req.headers).toEqual({ authorization: '[Redacted]', cookie: '[Redacted]', 'content-type': 'application/json' });
    expect(line.req.url).toBe('/api/auth/login');
  });
});

describe('PinoNestLogger', () => {
  function nestLogger(level: 'info' | 'trace' = 'trace') {
    const { stream, lines } = capture();
    return { logger: new PinoNestLogger(createLogger({ level }, stream)), lines };
  }

  it('forwards log/warn/debug/verbose/fatal with Nest context as a field', () => {
    const { logger, lines } = nestLogger();
    logger.log('Mapped {/health, GET} route', 'RouterExplorer');
    logger.warn('slow start', 'InstanceLoader');
    logger.debug('resolving', 'Injector');
    logger.verbose('details', 'Injector');
    logger.fatal('cannot bind port', 'NestApplication');
    expect(lines.map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
      // Start-up detail (a line per route) is folded: kept at debug.
      { level: 20, msg: 'Mapped {/health, GET} route', context: 'RouterExplorer' },
      { level: 40, msg: 'slow start', context: 'InstanceLoader' },
      { level: 20, msg: 'resolving', context: 'Injector' },
      { level: 10, msg: 'details', context: 'Injector' },
      { level: 60, msg: 'cannot bind port', context: 'NestApplication' },
    ]);
  });

  it('keeps the stack Nest passes to error(message, stack, context)', () => {
    const { logger, lines } = nestLogger();
    const stack = new Error('boom').stack as string;
    logger.error('Unhandled exception', stack, 'ExceptionsHandler');
    logger.error('No context here', stack);
    logger.error('Only context', 'Bootstrap');
    expect(lines[0]).toMatchObject({ level: 50, msg: 'Unhandled exception', stack, context: 'ExceptionsHandler' });
    expect(lines[1]).toMatchObject({ msg: 'No context here', stack });
    expect(lines[1]).not.toHaveProperty('context');
    expect(lines[2]).toMatchObject({ msg: 'Only context', context: 'Bootstrap' });
    expect(lines[2]).not.toHaveProperty('stack');
  });

  it('logs an Error as err with its message, and an object message as fields (redacted too)', () => {
    const { logger, lines } = nestLogger();
    logger.error(new Error('database is locked'), undefined, 'SqliteEventStore');
    logger.log({ event: 'agent-created', password: 'never-logged' }, 'Setup');
    expect(lines[0]).toMatchObject({ msg: 'database is locked', context: 'SqliteEventStore', err: { message: 'database is locked' } });
    expect(lines[1]).toMatchObject({ event: 'agent-created', password: '[Redacted]', context: 'Setup' });
  });

  it('folds the start-up lines (modules, controllers, routes) into one info line with their counts', () => {
    const { logger, lines } = nestLogger('info');
    logger.log('Starting Nest application...', 'NestFactory');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('CqrsModule dependencies initialized', 'InstanceLoader');
    logger.log('HealthController {/}:', 'RoutesResolver');
    logger.log('Mapped {/health, GET} route', 'RouterExplorer');
    logger.log('Mapped {/metrics, GET} route', 'RouterExplorer');
    logger.log('Mapped {/api/me, GET} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'application started', modules: 2, controllers: 1, routes: 3 })]);
  });

  it('respects the pino level for Nest messages', () => {
    const { logger, lines } = nestLogger('info');
    logger.debug('hidden', 'Injector');
    logger.verbose('hidden', 'Injector');
    logger.log('shown', 'SomeService');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});

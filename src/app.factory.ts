import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './application/ports/clock.port';
import { AppModule } from './app.module';
import type { ParleyConfig } from './infrastructure/config/config';
import { loadOrCreateSecret } from './infrastructure/config/secret';
import { HttpExceptionFilter } from './infrastructure/http/http-exception.filter';
import { installApiReference } from './infrastructure/http/openapi';
import { createValidationPipe, jsonDepthError } from './infrastructure/http/validation';
import { isAttachmentUpload, readAttachmentBody } from './infrastructure/http/attachment-body';
import { PinoNestLogger, requestForLog } from './infrastructure/logging/logger';
import { openStorage, type Storage } from './infrastructure/storage/storage';
import { ParleyMetrics } from './infrastructure/metrics/parley-metrics';
import { JOB_QUEUE, type JobQueue } from './application/ports/job-queue.port';
import { installRequestGuards, unsupportedMediaType } from './infrastructure/web/web-security';
import { PluginRegistry } from './plugins/registry/plugin-registry';
import type { BuiltInPluginFactory } from './plugins/registry/built-in-plugins';

export interface CreateAppOptions {
  clock?: Clock;
  backgroundWork?: boolean;
  /** Where channel plugins read their settings (`PARLEY_PLUGIN_<ID>_<KEY>`); default process.env. */
  pluginEnv?: NodeJS.ProcessEnv;
  /** Built-in channel plugins; default BUILT_IN_PLUGINS (tests add a plugin of their own). */
  builtIns?: readonly BuiltInPluginFactory[];
}

/** Builds the whole application (used by main.ts and by the end-to-end tests), not yet listening. */
export async function createApp(config: ParleyConfig, logger: Logger, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const storage = openStorage(config, logger);
  const metrics = new ParleyMetrics();
  const secret = config.secret ?? loadOrCreateSecret(config.dataDir);
  const verboseHttp = config.logLevel === 'debug' || config.logLevel === 'trace';
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Request lines (debug) show the URL without secret query values (a webhook handshake's verify token).
    loggerInstance: logger.child({ component: 'http' }, { serializers: { req: requestForLog } }),
    // One log line per request only at debug/trace: at thousands of requests a second they drown the rest.
    logController: new LogController({ disableRequestLogging: !verboseHttp }),
    // Whose X-Forwarded-For to believe (client addresses drive the login throttle and public rate limits).
    trustProxy: config.trustProxy,
  });
  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, logger, storage, secret, clock: options.clock, backgroundWork: options.backgroundWork, metrics }),
      adapter,
      // bodyParser off: bodies are parsed by installBodyParsers (and the web UI's form parser).
      { logger: new PinoNestLogger(logger.child({ component: 'nest' })), abortOnError: false, bodyParser: false },
    );
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new HttpExceptionFilter(logger.child({ component: 'http' })));
    closeKeepAliveConnectionsOnShutdown(app);
    measure(app, metrics, storage);
    installBodyParsers(app);
    installRequestGuards(app.getHttpAdapter().getInstance());
    // Built-in channels and the PARLEY_PLUGINS packages: loaded, checked and their routes mounted before anything listens.
    await app.get(PluginRegistry).connectAll({
      config,
      env: options.pluginEnv ?? process.env,
      logger,
      http: app.getHttpAdapter().getInstance(),
      metrics,
      soleInstance: storage.soleWriter === true,
      ...(options.builtIns ? { builtIns: options.builtIns } : {}),
    });
    installApiReference(app);
    return app;
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** Every request's duration by route pattern, the projection lag and the job queue, for GET /metrics. */
function measure(app: NestFastifyApplication, metrics: ParleyMetrics, storage: Storage): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      metrics.observeHttpRequest({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, seconds: reply.elapsedTime / 1000 });
      done();
    });
  metrics.watchProjections({ headPosition: () => storage.eventStore.headPosition(), projectedPosition: () => storage.projections.position() });
  metrics.watchJobQueue(app.get<JobQueue>(JOB_QUEUE));
}

/**
 * On shutdown Node closes only the connections idle at that moment; a keep-alive connection whose
 * request is still running would stay open (and the process with it) until the keep-alive timeout.
 * Once closing has begun, every response says `Connection: close` and idle sockets are closed as
 * soon as each in-flight request is answered, so the process exits right after the last answer.
 */
function closeKeepAliveConnectionsOnShutdown(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing && !reply.raw.headersSent) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (_request, _reply, done) => {
    if (closing) fastify.server.closeIdleConnections();
    done();
  });
}

/**
 * The API's body parsers. JSON goes through Fastify's own parser (with its prototype-poisoning
 * protection), after a depth check; commands without a body (`POST …/reopen`) are often sent with
 * `Content-Type: application/json` and no body at all, read as `{}`. Every other type is refused
 * with 415 before its body is read (Fastify's default text/plain parser is dropped: a text/plain
 * body is what a cross-site page can send without asking). The web UI adds its form parser.
 */
function installBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, {});
    const tooDeep = jsonDepthError(text);
    if (tooDeep) return done(tooDeep, undefined);
    return parseJson(request, text, done);
  });
  fastify.addContentTypeParser('*', (request, payload, done) => {
    // A reply's file is uploaded as its own bytes, of its own type, with its own size limit.
    if (isAttachmentUpload(request)) return readAttachmentBody(request, payload, done);
    done(unsupportedMediaType(request.headers['content-type'], request.url), undefined);
  });
}

import * as path from 'node:path';

/**
 * Parley's whole configuration comes from environment variables, read once at start-up.
 * loadConfig checks every variable and reports every problem in one error, so an operator fixes
 * a broken .env in one pass instead of one restart per typo. Secrets (passwords, the signing
 * secret, credentials inside URLs) never appear in an error message or in describeConfig.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const EVENT_STORE_ENGINES = ['sqlite', 'eventstoredb'] as const;
export const READ_STORE_ENGINES = ['sqlite', 'mongodb'] as const;
export const QUEUE_ENGINES = ['embedded', 'bull'] as const;

export type EventStoreConfig = { engine: 'sqlite' } | { engine: 'eventstoredb'; url: string };
export type ReadStoreConfig = { engine: 'sqlite' } | { engine: 'mongodb'; url: string };
export type QueueConfig = { engine: 'embedded' } | { engine: 'bull'; redisUrl: string };

export interface ParleyConfig {
  port: number;
  host: string;
  smtpPort: number;
  /** Absolute path of the folder holding the embedded database and secret.key. */
  dataDir: string;
  /** Created on a start with no agents yet; null when neither variable is set. */
  admin: { email: string; password: string } | null;
  inboxEmail: string;
  /** Signs session tokens; null means "use <dataDir>/secret.key" (see secret.ts). */
  secret: string | null;
  tokenTtlHours: number;
  bodyLimitBytes: number;
  readYourWritesTimeoutMs: number;
  /**
   * PARLEY_PRESENCE_GRACE_SECONDS: how long an agent stays online after their last open UI session
   * (live stream) closed or their instance stopped heartbeating: a reload or a short drop does not flap.
   */
  presenceGraceSeconds: number;
  logLevel: LogLevel;
  eventStore: EventStoreConfig;
  readStore: ReadStoreConfig;
  queue: QueueConfig;
  /**
   * One projector among several instances (README "Scale out"): with READ_STORE=mongodb and
   * REDIS_URL set, the projections and process managers run only in the holder of a Redis lease.
   * Absent otherwise.
   */
  projectorLease?: { redisUrl: string };
  /** npm package names of extra channel plugins, loaded in this order. */
  plugins: string[];
  smtpRelayUrl: string | null;
  /** Mark the session cookie Secure (set when Parley is served over HTTPS). */
  cookieSecure: boolean;
  /**
   * Outbound requests (webhooks, plugins' API calls) may reach loopback and private addresses.
   * Off by default: a URL an admin or a plugin sets could otherwise reach the host's own services.
   */
  allowPrivateNetwork: boolean;
  /**
   * GET /metrics (PARLEY_METRICS): `on` serves it to anyone who can reach the port, `off` answers
   * 404, `token` requires `Authorization: Bearer <PARLEY_METRICS_TOKEN>`. Absent means `on`.
   */
  metrics?: MetricsConfig;
  /**
   * PARLEY_PUBLIC_URL: Parley's address as browsers reach it (`https://support.example.com`),
   * without a trailing slash, for the embed snippets of channel connections. Absent: the origin
   * of the admin's request is used.
   */
  publicUrl?: string;
  /**
   * PARLEY_TRUST_PROXY: whose X-Forwarded-For / -Proto / -Host to believe, in Fastify's terms:
   * false (nobody: the socket's peer is the client), true (any), or the proxies' addresses and
   * CIDR ranges. (No hop count: Fastify trusts nobody for one, as it cannot check the peer.) Client addresses drive the login throttle and the public routes'
   * rate limits, so believe only the proxy in front of Parley.
   */
  trustProxy: boolean | string[];
}

export const METRICS_MODES = ['on', 'off', 'token'] as const;
export type MetricsConfig = { mode: 'on' } | { mode: 'off' } | { mode: 'token'; token: string };
export const MIN_METRICS_TOKEN_LENGTH = 16;

export const MIN_SECRET_LENGTH = 32;
export const MIN_ADMIN_PASSWORD_LENGTH = 8;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    const heading = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid configuration (${heading}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Throws ConfigError listing every problem found. */
export function loadConfig(env: NodeJS.ProcessEnv): ParleyConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const port = read.port('PORT', 3000);
  const host = read.host('HOST', '0.0.0.0');
  const smtpPort = read.port('SMTP_PORT', 2525);
  const dataDir = path.resolve(read.string('PARLEY_DATA_DIR') ?? './data');
  const admin = readAdmin(read);
  const inboxEmail = read.email('PARLEY_INBOX_EMAIL') ?? 'support@localhost';
  const secret = read.secret('PARLEY_SECRET', MIN_SECRET_LENGTH);
  const tokenTtlHours = read.integer('PARLEY_TOKEN_TTL_HOURS', 12, 1, 720, 'a whole number of hours');
  const bodyLimitBytes = read.integer('PARLEY_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 50 * 1024 * 1024, 'a whole number of bytes', '(1 KiB - 50 MiB)');
  const readYourWritesTimeoutMs = read.integer('PARLEY_READ_YOUR_WRITES_TIMEOUT_MS', 5000, 1, 600_000, 'a whole number of milliseconds');
  const presenceGraceSeconds = read.integer('PARLEY_PRESENCE_GRACE_SECONDS', 60, 1, 86_400, 'a whole number of seconds');
  const logLevel = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info', 'a log level');

  const eventStoreEngine = read.oneOf('EVENT_STORE', EVENT_STORE_ENGINES, 'sqlite', 'an event store engine');
  const eventStore: EventStoreConfig =
    eventStoreEngine === 'eventstoredb'
      ? {
          engine: 'eventstoredb',
          url: read.requiredUrl('EVENTSTORE_URL', ['esdb', 'esdb+discover'], 'EVENT_STORE=eventstoredb', 'esdb://localhost:2113?tls=false'),
        }
      : { engine: 'sqlite' };

  const readStoreEngine = read.oneOf('READ_STORE', READ_STORE_ENGINES, 'sqlite', 'a read store engine');
  const readStore: ReadStoreConfig =
    readStoreEngine === 'mongodb'
      ? {
          engine: 'mongodb',
          url: read.requiredUrl('MONGODB_URL', ['mongodb', 'mongodb+srv'], 'READ_STORE=mongodb', 'mongodb://localhost:27017/parley'),
        }
      : { engine: 'sqlite' };

  const queueEngine = read.oneOf('QUEUE', QUEUE_ENGINES, 'embedded', 'a queue engine');
  // REDIS_URL serves the Bull queue (required with QUEUE=bull) and, when the read models are shared
  // by several instances (READ_STORE=mongodb), the projector lease (optional: one instance needs none).
  const redisUrl =
    queueEngine === 'bull'
      ? read.requiredUrl('REDIS_URL', ['redis', 'rediss'], 'QUEUE=bull', 'redis://localhost:6379')
      : readStoreEngine === 'mongodb'
        ? read.optionalUrl('REDIS_URL', ['redis', 'rediss'], 'redis://localhost:6379')
        : null;
  const queue: QueueConfig = queueEngine === 'bull' ? { engine: 'bull', redisUrl: redisUrl ?? '' } : { engine: 'embedded' };
  const projectorLease = readStoreEngine === 'mongodb' && redisUrl ? { redisUrl } : undefined;

  const plugins = read.packageNames('PARLEY_PLUGINS');
  const smtpRelayUrl = read.optionalUrl('SMTP_RELAY_URL', ['smtp', 'smtps'], 'smtp://user:pass@mail.example.com:587');
  // Behind an HTTPS proxy the session cookie must be Secure; plain http://localhost needs it off.
  const cookieSecure = read.oneOf('PARLEY_COOKIE_SECURE', ['false', 'true'] as const, 'false', 'a boolean') === 'true';
  const allowPrivateNetwork = read.oneOf('PARLEY_ALLOW_PRIVATE_NETWORK', ['false', 'true'] as const, 'false', 'a boolean') === 'true';

  const metrics = readMetrics(read, problems);
  const trustProxy = readTrustProxy(read);
  const publicUrl = read.optionalUrl('PARLEY_PUBLIC_URL', ['http', 'https'], 'https://support.example.com')?.replace(/\/+$/, '');

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    smtpPort,
    dataDir,
    admin,
    inboxEmail,
    secret,
    tokenTtlHours,
    bodyLimitBytes,
    readYourWritesTimeoutMs,
    presenceGraceSeconds,
    logLevel,
    eventStore,
    readStore,
    queue,
    ...(projectorLease ? { projectorLease } : {}),
    plugins,
    smtpRelayUrl,
    cookieSecure,
    allowPrivateNetwork,
    metrics,
    ...(publicUrl ? { publicUrl } : {}),
    trustProxy,
  };
}

const IPV4_OR_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_OR_CIDR = /^[0-9a-f:]*:[0-9a-f:.]*(\/\d{1,3})?$/i;

/** `false` (default), `true`, or a comma-separated list of proxy addresses / CIDR ranges. */
function readTrustProxy(read: EnvReader): ParleyConfig['trustProxy'] {
  const value = read.string('PARLEY_TRUST_PROXY')?.trim() ?? null;
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  const addresses = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const bad = addresses.find((address) => !IPV4_OR_CIDR.test(address) && !IPV6_OR_CIDR.test(address));
  if (addresses.length > 0 && bad === undefined) return addresses;
  if (bad !== undefined) {
    read.problem(`PARLEY_TRUST_PROXY lists ${JSON.stringify(bad)}, which is not an IP address or CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8)`);
    return false;
  }
  read.problem(`PARLEY_TRUST_PROXY=${JSON.stringify(value)} is not false, true or a comma-separated list of proxy addresses (e.g. 127.0.0.1,10.0.0.0/8)`);
  return false;
}

/** PARLEY_METRICS and PARLEY_METRICS_TOKEN; a token alone means `token`, a token with `on`/`off` is a contradiction. */
function readMetrics(read: EnvReader, problems: string[]): MetricsConfig {
  const token = read.secret('PARLEY_METRICS_TOKEN', MIN_METRICS_TOKEN_LENGTH);
  const tokenSet = read.string('PARLEY_METRICS_TOKEN') !== null;
  const explicit = read.string('PARLEY_METRICS') !== null;
  const mode = read.oneOf('PARLEY_METRICS', METRICS_MODES, tokenSet ? 'token' : 'on', 'a metrics setting');
  if (mode === 'token') {
    if (token !== null) return { mode, token };
    if (!tokenSet)
      problems.push(`PARLEY_METRICS=token needs PARLEY_METRICS_TOKEN (at least ${MIN_METRICS_TOKEN_LENGTH} characters) for scrapers to send as a Bearer token`);
    return { mode: 'off' };
  }
  if (explicit && tokenSet)
    problems.push(`PARLEY_METRICS_TOKEN is set but PARLEY_METRICS=${mode} ignores it: set PARLEY_METRICS=token, or unset PARLEY_METRICS_TOKEN`);
  return { mode };
}

const REDACTED = '[redacted]';

/** The configuration as it may be logged at start-up: secrets replaced, URL passwords masked. */
export function describeConfig(config: ParleyConfig): Record<string, unknown> {
  const { secret, ...rest } = config;
  return {
    ...rest,
    admin: config.admin && { email: config.admin.email, password: REDACTED },
    // Not under a key named "secret" (the logger blanks those): where the key comes from is worth seeing.
    signingKeySource: secret === null ? '<dataDir>/secret.key' : 'PARLEY_SECRET',
    eventStore: 'url' in config.eventStore ? { ...config.eventStore, url: maskUrlPassword(config.eventStore.url) } : config.eventStore,
    readStore: 'url' in config.readStore ? { ...config.readStore, url: maskUrlPassword(config.readStore.url) } : config.readStore,
    queue: 'redisUrl' in config.queue ? { ...config.queue, redisUrl: maskUrlPassword(config.queue.redisUrl) } : config.queue,
    ...(config.projectorLease ? { projectorLease: { redisUrl: maskUrlPassword(config.projectorLease.redisUrl) } } : {}),
    smtpRelayUrl: config.smtpRelayUrl && maskUrlPassword(config.smtpRelayUrl),
    ...(config.metrics ? { metrics: { mode: config.metrics.mode } } : {}),
  };
}

/**
 * Replaces the password of `scheme://user:password@host` with ***. The URL parser finds the
 * credentials (a user name may itself hold an @: `relay@acme.test`); text it cannot parse (a
 * rejected value quoted in an error, a MongoDB replica set) has everything up to its last @ hidden.
 */
export function maskUrlPassword(value: string): string {
  const start = value.indexOf('://') + 3;
  if (start < 3) return value;
  const hideUpTo = (at: number) => (at >= start ? `${value.slice(0, start)}***@${value.slice(at + 1)}` : value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return hideUpTo(value.lastIndexOf('@'));
  }
  if (url.password === '') return value;
  // Parsed, so the credentials hold no unencoded / ? # \ : they end at the authority's last @.
  const authorityEnd = [...'/?#\\'].map((c) => value.indexOf(c, start)).filter((i) => i >= 0);
  const end = Math.min(value.length, ...authorityEnd);
  const at = value.lastIndexOf('@', end - 1);
  return at >= start ? `${value.slice(0, start)}${url.username}:***@${value.slice(at + 1)}` : hideUpTo(value.lastIndexOf('@'));
}

function readAdmin(read: EnvReader): ParleyConfig['admin'] {
  const email = read.email('PARLEY_ADMIN_EMAIL');
  const password = read.secret('PARLEY_ADMIN_PASSWORD', MIN_ADMIN_PASSWORD_LENGTH);
  const emailSet = read.isSet('PARLEY_ADMIN_EMAIL');
  const passwordSet = read.isSet('PARLEY_ADMIN_PASSWORD');
  if (emailSet && !passwordSet) {
    read.problem('PARLEY_ADMIN_PASSWORD is not set but PARLEY_ADMIN_EMAIL is: set both (to create the first admin) or neither');
  }
  if (passwordSet && !emailSet) {
    read.problem('PARLEY_ADMIN_EMAIL is not set but PARLEY_ADMIN_PASSWORD is: set both (to create the first admin) or neither');
  }
  return email !== null && password !== null ? { email, password } : null;
}

// Deliberately loose: a person's address has exactly one @ and no spaces; "support@localhost"
// is valid on a single machine. Deliverability is the mail server's business.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
const HOST_SHAPE = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
// scheme://authority[/rest], without whitespace. Not the WHATWG URL parser: MongoDB's
// replica-set URLs (mongodb://h1:27017,h2:27017/db) are not valid WHATWG URLs.
const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/[^\s/?#]+(?:[/?#]\S*)?$/;
// npm's rules: lower case, URL-safe, optional @scope/, at most 214 characters.
const NPM_PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Reads one variable at a time; a bad value adds a problem and yields the default. */
class EnvReader {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly problems: string[],
  ) {}

  /** Unset and empty are the same: `FOO=` in a .env file or docker-compose means "no value". */
  isSet(name: string): boolean {
    const value = this.env[name];
    return value !== undefined && value !== '';
  }

  string(name: string): string | null {
    return this.isSet(name) ? (this.env[name] as string) : null;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  private reject(name: string, value: string, accepts: string): void {
    this.problem(`${name}=${JSON.stringify(value)} is not ${accepts}`);
  }

  integer(name: string, fallback: number, min: number, max: number, what: string, rangeText = `(${min}-${max})`): number {
    const value = this.string(name);
    if (value === null) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.reject(name, value, `${what} ${rangeText}`);
      return fallback;
    }
    return parsed;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 1, 65535, 'a port number');
  }

  host(name: string, fallback: string): string {
    const value = this.string(name);
    if (value === null) return fallback;
    if (!HOST_SHAPE.test(value)) {
      this.reject(name, value, 'a host name or IP address to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)');
      return fallback;
    }
    return value;
  }

  email(name: string): string | null {
    const value = this.string(name);
    if (value === null) return null;
    if (!EMAIL_SHAPE.test(value)) {
      this.reject(name, value, 'an email address (name@domain)');
      return null;
    }
    return value;
  }

  /** A secret's value is never quoted back, not even when it is wrong. */
  secret(name: string, minLength: number): string | null {
    const value = this.string(name);
    if (value === null) return null;
    if (value.length < minLength) {
      this.problem(`${name} is set but too short: it needs at least ${minLength} characters`);
      return null;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T, what: string): T {
    const value = this.string(name);
    if (value === null) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.reject(name, value, `${what} (${allowed.join('|')})`);
      return fallback;
    }
    return value as T;
  }

  optionalUrl(name: string, schemes: readonly string[], example: string): string | null {
    const value = this.string(name);
    if (value === null) return null;
    const accepts = `a ${schemes.map((s) => `${s}://`).join(' or ')} URL (e.g. ${example})`;
    const match = URL_SHAPE.exec(value);
    if (match === null || !schemes.includes(match[1].toLowerCase())) {
      this.reject(name, maskUrlPassword(value), accepts);
      return null;
    }
    return value;
  }

  /** A URL that must be present because an engine that needs it was selected. */
  requiredUrl(name: string, schemes: readonly string[], because: string, example: string): string {
    if (!this.isSet(name)) {
      this.problem(`${name} is required when ${because}: set it to a ${schemes.map((s) => `${s}://`).join(' or ')} URL (e.g. ${example})`);
      return '';
    }
    return this.optionalUrl(name, schemes, example) ?? '';
  }

  packageNames(name: string): string[] {
    const value = this.string(name);
    if (value === null) return [];
    const names = value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const bad = names.filter((n) => n.length > 214 || !NPM_PACKAGE_NAME.test(n));
    if (bad.length > 0) {
      this.problem(
        `${name}=${JSON.stringify(value)} is not a comma-separated list of npm package names ` +
          `(e.g. parley-channel-telegram,@acme/parley-sms); not package names: ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      );
      return [];
    }
    return [...new Set(names)];
  }
}

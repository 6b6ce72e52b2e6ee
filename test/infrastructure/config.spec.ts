import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, describeConfig, loadConfig, maskUrlPassword, type ParleyConfig } from '../../src/infrastructure/config/config';
import { loadOrCreateSecret } from '../../src/infrastructure/config/secret';

const SECRET = 'k'.repeat(40);
const ADMIN_PASSWORD = 'correct horse battery staple';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error(`expected loadConfig to reject ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives every default from an empty environment', () => {
    expect(loadConfig({})).toEqual<ParleyConfig>({
      port: 3000,
      host: '0.0.0.0',
      smtpPort: 2525,
      dataDir: path.resolve('./data'),
      admin: null,
      inboxEmail: 'support@localhost',
      secret: null,
      tokenTtlHours: 12,
      bodyLimitBytes: 1048576,
      readYourWritesTimeoutMs: 5000,
      presenceGraceSeconds: 60,
      logLevel: 'info',
      eventStore: { engine: 'sqlite' },
      readStore: { engine: 'sqlite' },
      queue: { engine: 'embedded' },
      plugins: [],
      smtpRelayUrl: null,
      cookieSecure: false,
      allowPrivateNetwork: false,
      metrics: { mode: 'on' },
      trustProxy: false,
    });
  });

  it('reads PARLEY_COOKIE_SECURE as a boolean and names a bad value', () => {
    expect(loadConfig({ PARLEY_COOKIE_SECURE: 'true' }).cookieSecure).toBe(true);
    expect(problemsOf({ PARLEY_COOKIE_SECURE: 'yes' }).join('\n')).toContain('PARLEY_COOKIE_SECURE="yes"');
  });

  it('treats an empty value like an unset one (FOO= in a .env file)', () => {
    expect(loadConfig({ PORT: '', PARLEY_SECRET: '', EVENT_STORE: '' })).toEqual(loadConfig({}));
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' })).toEqual(loadConfig({}));
  });

  // Each row: a variable, a valid value with what it becomes, and an invalid value together with
  // words the problem must contain (besides the variable's name) to say what it accepts.
  const cases: Array<{
    name: string;
    valid: string;
    pick: (c: ParleyConfig) => unknown;
    expected: unknown;
    invalid: string;
    accepts: string;
    extraEnv?: NodeJS.ProcessEnv;
  }> = [
    { name: 'PORT', valid: '8080', pick: (c) => c.port, expected: 8080, invalid: 'abc', accepts: 'port number (1-65535)' },
    { name: 'HOST', valid: '127.0.0.1', pick: (c) => c.host, expected: '127.0.0.1', invalid: 'not a host!', accepts: 'host name or IP address' },
    { name: 'SMTP_PORT', valid: '25', pick: (c) => c.smtpPort, expected: 25, invalid: '70000', accepts: 'port number (1-65535)' },
    {
      name: 'PARLEY_INBOX_EMAIL',
      valid: 'help@acme.test',
      pick: (c) => c.inboxEmail,
      expected: 'help@acme.test',
      invalid: 'help desk',
      accepts: 'email address',
    },
    {
      name: 'PARLEY_TOKEN_TTL_HOURS',
      valid: '720',
      pick: (c) => c.tokenTtlHours,
      expected: 720,
      invalid: '721',
      accepts: 'hours (1-720)',
    },
    {
      name: 'PARLEY_BODY_LIMIT_BYTES',
      valid: '1024',
      pick: (c) => c.bodyLimitBytes,
      expected: 1024,
      invalid: '1023',
      accepts: 'bytes (1 KiB - 50 MiB)',
    },
    {
      name: 'PARLEY_READ_YOUR_WRITES_TIMEOUT_MS',
      valid: '250',
      pick: (c) => c.readYourWritesTimeoutMs,
      expected: 250,
      invalid: '2.5s',
      accepts: 'milliseconds',
    },
    {
      name: 'PARLEY_PRESENCE_GRACE_SECONDS',
      valid: '5',
      pick: (c) => c.presenceGraceSeconds,
      expected: 5,
      invalid: '0',
      accepts: 'seconds',
    },
    { name: 'LOG_LEVEL', valid: 'debug', pick: (c) => c.logLevel, expected: 'debug', invalid: 'loud', accepts: 'fatal|error|warn|info|debug|trace|silent' },
    {
      name: 'EVENT_STORE',
      valid: 'eventstoredb',
      extraEnv: { EVENTSTORE_URL: 'esdb://localhost:2113?tls=false' },
      pick: (c) => c.eventStore,
      expected: { engine: 'eventstoredb', url: 'esdb://localhost:2113?tls=false' },
      invalid: 'postgres',
      accepts: 'sqlite|eventstoredb',
    },
    {
      name: 'EVENTSTORE_URL',
      valid: 'esdb+discover://cluster.example.com:2113',
      extraEnv: { EVENT_STORE: 'eventstoredb' },
      pick: (c) => c.eventStore,
      expected: { engine: 'eventstoredb', url: 'esdb+discover://cluster.example.com:2113' },
      invalid: 'http://localhost:2113',
      accepts: 'esdb:// or esdb+discover://',
    },
    {
      name: 'READ_STORE',
      valid: 'mongodb',
      extraEnv: { MONGODB_URL: 'mongodb://localhost:27017/parley' },
      pick: (c) => c.readStore,
      expected: { engine: 'mongodb', url: 'mongodb://localhost:27017/parley' },
      invalid: 'mysql',
      accepts: 'sqlite|mongodb',
    },
    {
      name: 'MONGODB_URL',
      valid: 'mongodb://h1:27017,h2:27017/parley?replicaSet=rs0',
      extraEnv: { READ_STORE: 'mongodb' },
      pick: (c) => c.readStore,
      expected: { engine: 'mongodb', url: 'mongodb://h1:27017,h2:27017/parley?replicaSet=rs0' },
      invalid: 'localhost:27017',
      accepts: 'mongodb:// or mongodb+srv://',
    },
    {
      name: 'QUEUE',
      valid: 'bull',
      extraEnv: { REDIS_URL: 'redis://127.0.0.1:6379' },
      pick: (c) => c.queue,
      expected: { engine: 'bull', redisUrl: 'redis://127.0.0.1:6379' },
      invalid: 'kafka',
      accepts: 'embedded|bull',
    },
    {
      name: 'REDIS_URL',
      valid: 'rediss://cache.example.com:6380',
      extraEnv: { QUEUE: 'bull' },
      pick: (c) => c.queue,
      expected: { engine: 'bull', redisUrl: 'rediss://cache.example.com:6380' },
      invalid: 'tcp://127.0.0.1:6379',
      accepts: 'redis:// or rediss://',
    },
    {
      name: 'PARLEY_PLUGINS',
      valid: ' parley-channel-telegram, @acme/parley-sms ,',
      pick: (c) => c.plugins,
      expected: ['parley-channel-telegram', '@acme/parley-sms'],
      invalid: 'good-one,Bad Name',
      accepts: 'npm package names',
    },
    {
      name: 'SMTP_RELAY_URL',
      valid: 'smtps://mail.example.com:465',
      pick: (c) => c.smtpRelayUrl,
      expected: 'smtps://mail.example.com:465',
      invalid: 'mail.example.com:587',
      accepts: 'smtp:// or smtps://',
    },
  ];

  describe.each(cases)('$name', ({ name, valid, pick, expected, invalid, accepts, extraEnv = {} }) => {
    it(`accepts ${JSON.stringify(valid)}`, () => {
      expect(pick(loadConfig({ ...extraEnv, [name]: valid }))).toEqual(expected);
    });

    it(`rejects ${JSON.stringify(invalid)}, naming the variable, the value and what it accepts`, () => {
      const problems = problemsOf({ ...extraEnv, [name]: invalid });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`${name}="${invalid}"`);
      expect(problems[0]).toContain(accepts);
    });
  });

  it('words a bad port the way an operator reads it', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT="abc" is not a port number (1-65535)']);
  });

  it.each(['0', '-1', '65536', '3000.5', ' 3000', '0x50'])('rejects PORT=%j', (value) => {
    expect(problemsOf({ PORT: value })[0]).toMatch(/^PORT=/);
  });

  it('accepts the edges of the numeric ranges', () => {
    const config = loadConfig({
      PORT: '65535',
      SMTP_PORT: '1',
      PARLEY_TOKEN_TTL_HOURS: '1',
      PARLEY_BODY_LIMIT_BYTES: String(50 * 1024 * 1024),
    });
    expect([config.port, config.smtpPort, config.tokenTtlHours, config.bodyLimitBytes]).toEqual([65535, 1, 1, 52428800]);
    expect(problemsOf({ PARLEY_BODY_LIMIT_BYTES: String(50 * 1024 * 1024 + 1) })[0]).toContain('PARLEY_BODY_LIMIT_BYTES=');
    expect(problemsOf({ PARLEY_TOKEN_TTL_HOURS: '0' })[0]).toContain('PARLEY_TOKEN_TTL_HOURS=');
  });

  it.each(['::', '[::1]', 'localhost', 'parley.internal'])('accepts HOST=%j', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it('resolves PARLEY_DATA_DIR to an absolute path', () => {
    expect(loadConfig({ PARLEY_DATA_DIR: '/var/lib/parley' }).dataDir).toBe('/var/lib/parley');
    expect(loadConfig({ PARLEY_DATA_DIR: 'state' }).dataDir).toBe(path.resolve('state'));
  });

  it('drops repeated plugin names', () => {
    expect(loadConfig({ PARLEY_PLUGINS: 'a-plugin,a-plugin' }).plugins).toEqual(['a-plugin']);
  });

  describe('first admin (PARLEY_ADMIN_EMAIL + PARLEY_ADMIN_PASSWORD)', () => {
    it('takes both', () => {
      expect(loadConfig({ PARLEY_ADMIN_EMAIL: 'ada@acme.test', PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD }).admin).toEqual({
        email: 'ada@acme.test',
        password: ADMIN_PASSWORD,
      });
    });

    it('rejects an email without the password, and the reverse', () => {
      expect(problemsOf({ PARLEY_ADMIN_EMAIL: 'ada@acme.test' })).toEqual([expect.stringMatching(/^PARLEY_ADMIN_PASSWORD is not set.*both.*neither/)]);
      expect(problemsOf({ PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD })).toEqual([expect.stringMatching(/^PARLEY_ADMIN_EMAIL is not set.*both.*neither/)]);
    });

    it('rejects a malformed email, quoting it', () => {
      expect(problemsOf({ PARLEY_ADMIN_EMAIL: 'ada.acme.test', PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD })).toEqual([
        'PARLEY_ADMIN_EMAIL="ada.acme.test" is not an email address (name@domain)',
      ]);
    });

    it('rejects a password shorter than 8 characters without quoting it', () => {
      const problems = problemsOf({ PARLEY_ADMIN_EMAIL: 'ada@acme.test', PARLEY_ADMIN_PASSWORD: 'hunter2' });
      expect(problems).toEqual(['PARLEY_ADMIN_PASSWORD is set but too short: it needs at least 8 characters']);
    });
  });

  describe('PARLEY_TRUST_PROXY', () => {
    it('believes nobody by default', () => {
      expect(loadConfig({}).trustProxy).toBe(false);
      expect(loadConfig({ PARLEY_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    });

    it('takes true, or the proxies by address and range', () => {
      expect(loadConfig({ PARLEY_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
      expect(loadConfig({ PARLEY_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    });

    it('names a value it cannot use', () => {
      expect(problemsOf({ PARLEY_TRUST_PROXY: 'proxy.local' })).toEqual([
        'PARLEY_TRUST_PROXY lists "proxy.local", which is not an IP address or CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8)',
      ]);
      expect(problemsOf({ PARLEY_TRUST_PROXY: '2' })).toEqual([
        'PARLEY_TRUST_PROXY lists "2", which is not an IP address or CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8)',
      ]);
    });
  });

  describe('PARLEY_PUBLIC_URL', () => {
    it('is optional, and kept without a trailing slash', () => {
      expect(loadConfig({}).publicUrl).toBeUndefined();
      expect(loadConfig({ PARLEY_PUBLIC_URL: 'https://support.example.com/' }).publicUrl).toBe('https://support.example.com');
      expect(loadConfig({ PARLEY_PUBLIC_URL: 'http://localhost:3000' }).publicUrl).toBe('http://localhost:3000');
    });

    it('must be an http or https URL', () => {
      const problems = problemsOf({ PARLEY_PUBLIC_URL: 'support.example.com' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('PARLEY_PUBLIC_URL');
      expect(problems[0]).toContain('https://support.example.com');
    });
  });

  describe('PARLEY_SECRET', () => {
    it('is optional', () => {
      expect(loadConfig({}).secret).toBeNull();
    });

    it('accepts 32 characters or more', () => {
      expect(loadConfig({ PARLEY_SECRET: SECRET }).secret).toBe(SECRET);
      expect(loadConfig({ PARLEY_SECRET: 'x'.repeat(32) }).secret).toBe('x'.repeat(32));
    });

    it('rejects a short one without quoting it', () => {
      const shortSecret = 'tooshort-but-secret';
      const problems = problemsOf({ PARLEY_SECRET: shortSecret });
      expect(problems).toEqual(['PARLEY_SECRET is set but too short: it needs at least 32 characters']);
    });
  });

  it.each([
    ['EVENT_STORE', 'eventstoredb', 'EVENTSTORE_URL', 'esdb://'],
    ['READ_STORE', 'mongodb', 'MONGODB_URL', 'mongodb://'],
    ['QUEUE', 'bull', 'REDIS_URL', 'redis://'],
  ])('%s=%s requires %s', (engineVariable, engine, urlVariable, scheme) => {
    const problems = problemsOf({ [engineVariable]: engine });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${urlVariable} is required when ${engineVariable}=${engine}`);
    expect(problems[0]).toContain(scheme);
  });

  it('leaves engine URLs alone while their engine is not selected (CI exports REDIS_URL for the contract suites)', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', MONGODB_URL: 'whatever' }).queue).toEqual({ engine: 'embedded' });
  });

  it('reports every problem at once', () => {
    const error = (() => {
      try {
        loadConfig({
          PORT: 'abc',
          HOST: 'two words',
          SMTP_PORT: '0',
          PARLEY_ADMIN_EMAIL: 'nobody',
          PARLEY_ADMIN_PASSWORD: 'short',
          PARLEY_INBOX_EMAIL: 'inbox',
          PARLEY_SECRET: 'short',
          PARLEY_TOKEN_TTL_HOURS: '999',
          PARLEY_BODY_LIMIT_BYTES: '1',
          PARLEY_READ_YOUR_WRITES_TIMEOUT_MS: 'soon',
          LOG_LEVEL: 'LOUD',
          EVENT_STORE: 'eventstoredb',
          READ_STORE: 'mongodb',
          MONGODB_URL: 'postgres://db',
          QUEUE: 'bull',
          PARLEY_PLUGINS: 'Not Valid',
          SMTP_RELAY_URL: 'ftp://files',
        });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    const named = [
      'PORT=',
      'HOST=',
      'SMTP_PORT=',
      'PARLEY_ADMIN_EMAIL=',
      'PARLEY_ADMIN_PASSWORD is set but too short',
      'PARLEY_INBOX_EMAIL=',
      'PARLEY_SECRET is set but too short',
      'PARLEY_TOKEN_TTL_HOURS=',
      'PARLEY_BODY_LIMIT_BYTES=',
      'PARLEY_READ_YOUR_WRITES_TIMEOUT_MS=',
      'LOG_LEVEL=',
      'EVENTSTORE_URL is required',
      'MONGODB_URL=',
      'REDIS_URL is required',
      'PARLEY_PLUGINS=',
      'SMTP_RELAY_URL=',
    ];
    expect(error.problems).toHaveLength(named.length);
    for (const start of named) expect(error.problems.some((p) => p.startsWith(start))).toBe(true);
    expect(error.message).toMatch(/^Invalid configuration \(16 problems\):\n {2}- PORT="abc"/);
  });

  it('never puts a secret in an error message', () => {
    const secrets = { PARLEY_ADMIN_PASSWORD: 'pw-1234', PARLEY_SECRET: 'sig-secret-but-short' };
    const relay = 'ftp://relayuser:relay-password-42@mail.example.com';
    const mongo = 'mongo://dbuser:db-password-42@db.example.com';
    const message = (() => {
      try {
        loadConfig({ ...secrets, PARLEY_ADMIN_EMAIL: 'ada@acme.test', SMTP_RELAY_URL: relay, READ_STORE: 'mongodb', MONGODB_URL: mongo });
      } catch (caught) {
        return (caught as Error).message;
      }
      throw new Error('expected a ConfigError');
    })();
    for (const secret of [...Object.values(secrets), 'relay-password-42', 'db-password-42']) expect(message).not.toContain(secret);
    expect(message).toContain('SMTP_RELAY_URL="ftp://relayuser:***@mail.example.com"');
    expect(message).toContain('MONGODB_URL="mongo://dbuser:***@db.example.com"');
  });
});

describe('describeConfig', () => {
  it('redacts secrets and URL passwords and keeps the rest readable', () => {
    const config = loadConfig({
      PARLEY_ADMIN_EMAIL: 'ada@acme.test',
      PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PARLEY_SECRET: SECRET,
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: 'esdb://admin:esdb-pw@localhost:2113',
      READ_STORE: 'mongodb',
      MONGODB_URL: 'mongodb+srv://app:mongo-pw@cluster0.example.net/parley',
      QUEUE: 'bull',
      REDIS_URL: 'rediss://:redis-pw@cache.example.com:6380',
      SMTP_RELAY_URL: 'smtp://mailer:smtp-pw@mail.example.com:587',
    });
    const described = describeConfig(config);
    const text = JSON.stringify(described);
    for (const secret of [ADMIN_PASSWORD, SECRET, 'esdb-pw', 'mongo-pw', 'redis-pw', 'smtp-pw']) expect(text).not.toContain(secret);
    expect(described).not.toHaveProperty('secret');
    expect(described).toMatchObject({
      port: 3000,
      admin: { email: 'ada@acme.test', password: '[redacted]' },
      signingKeySource: 'PARLEY_SECRET',
      eventStore: { engine: 'eventstoredb', url: 'esdb://admin:***@localhost:2113' },
      readStore: { engine: 'mongodb', url: 'mongodb+srv://app:***@cluster0.example.net/parley' },
      queue: { engine: 'bull', redisUrl: 'rediss://:***@cache.example.com:6380' },
      smtpRelayUrl: 'smtp://mailer:***@mail.example.com:587',
    });
  });

  it('says where the signing key comes from when PARLEY_SECRET is unset', () => {
    expect(describeConfig(loadConfig({})).signingKeySource).toBe('<dataDir>/secret.key');
  });
});

describe('maskUrlPassword', () => {
  it.each([
    ['smtp://u:p@h:587', 'smtp://u:***@h:587'],
    ['redis://:p@ss@h', 'redis://:***@h'],
    ['redis://h:6379', 'redis://h:6379'],
    ['mongodb://user@h/db', 'mongodb://user@h/db'],
    ['mongodb://h/db?x=a:b@c', 'mongodb://h/db?x=a:b@c'],
    // A user name that is an email address: the last @ ends the credentials, not the first.
    ['smtp://relay@acme.test:s3cret@mail.example.com:587', 'smtp://relay%40acme.test:***@mail.example.com:587'],
    ['smtp://relay%40acme.test:s3cret@mail.example.com:587', 'smtp://relay%40acme.test:***@mail.example.com:587'],
    ['smtps://relay@acme.test:p@ss:w/rd@mail.example.com', 'smtps://***@mail.example.com'],
    // Not a valid URL (a space in the host, a replica set): everything before the last @ is hidden.
    ['smtp://relay@acme.test:s3cret@mail example.com:587', 'smtp://***@mail example.com:587'],
    ['mongodb://u:s3cret@h1:27017,h2:27017/db', 'mongodb://***@h1:27017,h2:27017/db'],
  ])('%s -> %s', (input, output) => {
    expect(maskUrlPassword(input)).toBe(output);
  });
});

describe('SMTP relay credentials with an @ in the user name', () => {
  it('are masked in describeConfig', () => {
    const described = describeConfig(loadConfig({ SMTP_RELAY_URL: 'smtp://relay@acme.test:relay-pw-77@mail.example.com:587' }));
    expect(JSON.stringify(described)).not.toContain('relay-pw-77');
    expect(described.smtpRelayUrl).toBe('smtp://relay%40acme.test:***@mail.example.com:587');
  });

  it.each([
    'smtp://relay@acme.test:relay-pw-77@mail example.com:587',
    'smtp://relay%40acme.test:relay-pw-77@mail example.com',
    'ftp://relay@acme.test:relay-pw-77@mail.example.com',
  ])('are masked in the error for the invalid URL %s', (value) => {
    let message = '';
    try {
      loadConfig({ SMTP_RELAY_URL: value });
    } catch (caught) {
      message = (caught as Error).message;
    }
    expect(message).toContain('SMTP_RELAY_URL=');
    expect(message).not.toContain('relay-pw-77');
  });
});

describe('loadOrCreateSecret', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-secret-')), 'data');
  });
  afterEach(() => {
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('creates <dataDir>/secret.key (64 base64url characters, mode 0600) on first use', () => {
    const secret = loadOrCreateSecret(dataDir);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const file = path.join(dataDir, 'secret.key');
    expect(fs.readFileSync(file, 'utf8')).toBe(secret);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('returns the same secret on later starts', () => {
    const first = loadOrCreateSecret(dataDir);
    expect(loadOrCreateSecret(dataDir)).toBe(first);
  });

  it('reads a key an operator put there', () => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'secret.key'), `${SECRET}\n`);
    expect(loadOrCreateSecret(dataDir)).toBe(SECRET);
  });

  it('refuses a key file that is too short, naming the file and the way out', () => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'secret.key'), 'short');
    expect(() => loadOrCreateSecret(dataDir)).toThrow(/secret\.key holds a secret shorter than 32 characters.*PARLEY_SECRET/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/infrastructure/config/config';

/**
 * docker-compose.yml checked without Docker: what `docker compose up` starts (one Parley on the
 * embedded storage), what the scale-out profile adds, and that each Parley's environment is a
 * configuration Parley accepts.
 */
interface Service {
  profiles?: string[];
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
}
const compose = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const { services } = compose;

/** Compose's `${NAME:-default}` with nothing set in the environment: the default. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const environmentOf = (service: Service) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))]));
const publishedPorts = (service: Service) => (service.ports ?? []).map((port) => interpolate(port).split(':')[0]);

describe('docker-compose.yml', () => {
  it('`docker compose up` starts one Parley on the embedded storage, with its data on a volume', () => {
    const byDefault = Object.entries(services)
      .filter(([, service]) => !service.profiles)
      .map(([name]) => name);
    expect(byDefault).toEqual(['parley']);
    const parley = services.parley;
    expect(parley.build).toBe('.');
    expect(parley.depends_on).toBeUndefined();
    const config = loadConfig({ ...environmentOf(parley), PARLEY_DATA_DIR: '/data' });
    expect(config).toMatchObject({ eventStore: { engine: 'sqlite' }, readStore: { engine: 'sqlite' }, queue: { engine: 'embedded' }, metrics: { mode: 'on' } });
    expect(parley.volumes).toEqual(['parley-data:/data']);
    expect(publishedPorts(parley)).toEqual(['3000', '2525']);
  });

  it('the scale-out profile holds the engines and a Parley configured for them, started once they are healthy', () => {
    const scaleOut = Object.entries(services)
      .filter(([, service]) => service.profiles?.includes('scale-out'))
      .map(([name]) => name);
    expect(scaleOut.sort()).toEqual(['eventstore', 'mongo', 'parley-scale-out', 'redis']);
    const parley = services['parley-scale-out'];
    expect(parley.depends_on).toEqual({
      eventstore: { condition: 'service_healthy' },
      mongo: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    for (const engine of ['eventstore', 'mongo', 'redis']) expect(services[engine].healthcheck?.test).toBeDefined();
    const config = loadConfig({ ...environmentOf(parley), PARLEY_DATA_DIR: '/data' });
    expect(config).toMatchObject({
      eventStore: { engine: 'eventstoredb', url: 'esdb://eventstore:2113?tls=false' },
      readStore: { engine: 'mongodb', url: 'mongodb://mongo:27017/parley?replicaSet=rs0' },
      queue: { engine: 'bull', redisUrl: 'redis://redis:6379' },
    });
    // Both Parleys can run at once: no published port in common.
    expect(publishedPorts(parley).filter((port) => publishedPorts(services.parley).includes(port))).toEqual([]);
  });

  it('declares every named volume the services mount, and nothing else', () => {
    const mounted = Object.values(services).flatMap((service) => (service.volumes ?? []).map((volume) => volume.split(':')[0]));
    expect([...new Set(mounted)].sort()).toEqual(Object.keys(compose.volumes).sort());
  });
});

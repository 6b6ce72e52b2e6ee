import { Registry } from 'prom-client';
import { ConfigError, loadConfig, describeConfig } from '../../src/infrastructure/config/config';
import { createPluginMetrics } from '../../src/infrastructure/metrics/plugin-metrics';
import { FakeHostConnection } from '../../src/plugins/testing/fake-host-connection';
import { parseSamples, sampleValue } from '../support/prometheus-text';

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error(`expected loadConfig to reject ${JSON.stringify(env)}`);
}

describe('PARLEY_METRICS and PARLEY_METRICS_TOKEN', () => {
  const token = 'a-scrape-token-of-some-length';

  it('is on by default, off or token on request, and a token alone means token', () => {
    expect(loadConfig({}).metrics).toEqual({ mode: 'on' });
    expect(loadConfig({ PARLEY_METRICS: 'off' }).metrics).toEqual({ mode: 'off' });
    expect(loadConfig({ PARLEY_METRICS: 'token', PARLEY_METRICS_TOKEN: token }).metrics).toEqual({ mode: 'token', token });
    expect(loadConfig({ PARLEY_METRICS_TOKEN: token }).metrics).toEqual({ mode: 'token', token });
  });

  it('names the variable and what to do when the settings do not fit together', () => {
    expect(problemsOf({ PARLEY_METRICS: 'public' })).toContain('PARLEY_METRICS="public"');
    expect(problemsOf({ PARLEY_METRICS: 'token' })).toContain('PARLEY_METRICS=token needs PARLEY_METRICS_TOKEN');
    expect(problemsOf({ PARLEY_METRICS: 'on', PARLEY_METRICS_TOKEN: token })).toContain('PARLEY_METRICS_TOKEN is set but PARLEY_METRICS=on ignores it');
    const short = problemsOf({ PARLEY_METRICS_TOKEN: 'short' });
    expect(short).toContain('PARLEY_METRICS_TOKEN is set but too short');
    expect(short).not.toContain('"short"');
  });

  it('never shows the token in the configuration logged at start-up', () => {
    const described = JSON.stringify(describeConfig(loadConfig({ PARLEY_METRICS_TOKEN: token })));
    expect(described).not.toContain(token);
    expect(described).toContain('"metrics":{"mode":"token"}');
  });
});

describe('plugin metrics (the host side of connection.metrics)', () => {
  it('serves each under parley_plugin_<id>_ and answers the same metric for the same declaration', async () => {
    const registry = new Registry();
    const metrics = createPluginMetrics(registry, 'signed-webhook');
    const calls = metrics.counter('calls_total', 'Webhook calls by result.', { labelNames: ['result'] });
    calls.inc({ result: 'ok' });
    metrics.counter('calls_total', 'Webhook calls by result.', { labelNames: ['result'] }).inc({ result: 'ok' }, 2);
    const open = metrics.gauge('open_connections', 'Connections open now.');
    open.inc();
    open.inc();
    open.dec();
    metrics.histogram('call_seconds', 'How long a call took.', { buckets: [0.1, 1] }).observe(0.5);

    const samples = parseSamples(await registry.metrics());
    expect(sampleValue(samples, 'parley_plugin_signed_webhook_calls_total', { result: 'ok' })).toBe(3);
    expect(sampleValue(samples, 'parley_plugin_signed_webhook_open_connections')).toBe(1);
    expect(sampleValue(samples, 'parley_plugin_signed_webhook_call_seconds_bucket', { le: '0.1' })).toBe(0);
    expect(sampleValue(samples, 'parley_plugin_signed_webhook_call_seconds_bucket', { le: '1' })).toBe(1);
    expect(samples.every((s) => s.name.startsWith('parley_plugin_signed_webhook_'))).toBe(true);
  });

  it('refuses bad names, missing help and a name declared again as another kind, naming the plugin', () => {
    const metrics = createPluginMetrics(new Registry(), 'email');
    expect(() => metrics.counter('Sessions-Total', 'x')).toThrow(
      'plugin "email": metric names are lower snake case like "smtp_sessions_total" (got "Sessions-Total")',
    );
    expect(() => metrics.counter('sessions_total', ' ')).toThrow('metric "sessions_total" needs a help text');
    expect(() => metrics.counter('sessions_total', 'Sessions.', { labelNames: ['__reserved'] })).toThrow('invalid label name "__reserved"');
    metrics.counter('sessions_total', 'Sessions.');
    expect(() => metrics.gauge('sessions_total', 'Sessions.')).toThrow('metric "sessions_total" is already a counter');
  });

  it('the fake host connection records what a plugin measures, by label set', () => {
    const host = new FakeHostConnection({ id: 'demo', channel: 'demo' });
    const polls = host.connection.metrics.counter('polls_total', 'Polls by outcome.', { labelNames: ['outcome'] });
    polls.inc({ outcome: 'ok' });
    polls.inc({ outcome: 'ok' }, 4);
    polls.inc({ outcome: 'failed' });
    const queue = host.connection.metrics.gauge('queue_depth', 'Items waiting.');
    queue.set(7);
    queue.dec();
    expect(host.metricValue('polls_total', { outcome: 'ok' })).toBe(5);
    expect(host.metricValue('polls_total', { outcome: 'failed' })).toBe(1);
    expect(host.metricValue('queue_depth')).toBe(6);
    expect(() => polls.inc({ region: 'eu' })).toThrow('metric "polls_total" has no label "region"');
    expect(host.problems).toEqual([expect.stringContaining('has no label "region"')]);
  });
});

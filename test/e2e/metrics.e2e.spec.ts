import { createTransport } from 'nodemailer';
import { JOB_QUEUE, PermanentJobError, type JobQueue } from '../../src/application/ports/job-queue.port';
import { eventually } from '../contracts/job-queue.contract';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { parseSamples, sampleValue, type Sample } from '../support/prometheus-text';

describe('GET /metrics (Prometheus)', () => {
  describe('with the default setting (on, no session needed)', () => {
    let t: TestApp;
    let token: string;

    beforeAll(async () => {
      t = await startTestApp({
        // A job type of the test's own, registered like the app's before the queue starts: it always gives up.
        beforeInit: (app) =>
          app.get<JobQueue>(JOB_QUEUE).register('test.doomed', async () => {
            throw new PermanentJobError('doomed on purpose');
          }),
      });
      token = await t.login();
    });
    afterAll(() => t.close());

    const scrape = async (): Promise<Sample[]> => {
      const res = await t.request('GET', '/metrics');
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseSamples(res.body as string);
    };

    it('serves the series without a session, and they move with traffic', async () => {
      const before = await scrape();
      const conversationRoute = { method: 'GET', route: '/api/conversations/:id', status: '200' };
      const ingestRoute = { method: 'POST', route: '/api/channels/api/messages' };

      const first = inbound();
      const posted = await t.request('POST', '/api/channels/api/messages', { body: first, token });
      expect(posted.status).toBe(201);
      expect((await t.request('POST', '/api/channels/api/messages', { body: first, token })).body.duplicate).toBe(true);
      expect((await t.request('POST', '/api/channels/api/messages', { body: inbound(), token })).status).toBe(201);
      for (let i = 0; i < 3; i += 1) expect((await t.request('GET', `/api/conversations/${posted.body.conversationId}`, { token })).status).toBe(200);
      expect((await t.request('GET', '/no/such/page/123')).status).toBe(404);
      await createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
        from: 'jane@customer.test',
        to: 'support@localhost',
        subject: 'Counted',
        text: 'One SMTP session.',
      });
      await t.app.get<JobQueue>(JOB_QUEUE).enqueue('test.doomed', {});
      await eventually(async () => expect(sampleValue(await scrape(), 'parley_job_attempts_total', { type: 'test.doomed', outcome: 'failed' })).toBe(1));

      const after = await scrape();
      const moved = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
      // HTTP: by route pattern, never the URL with the conversation's id in it.
      expect(moved('parley_http_request_duration_seconds_count', conversationRoute)).toBe(3);
      expect(moved('parley_http_request_duration_seconds_count', ingestRoute)).toBe(3);
      expect(moved('parley_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
      expect(moved('parley_http_request_duration_seconds_sum', conversationRoute)).toBeGreaterThan(0);
      expect(after.filter((s) => Object.values(s.labels).some((v) => v.includes(posted.body.conversationId) || v.includes('/no/such')))).toEqual([]);
      // Ingest by channel and outcome.
      expect(moved('parley_ingested_messages_total', { channel: 'api', outcome: 'stored' })).toBe(2);
      expect(moved('parley_ingested_messages_total', { channel: 'api', outcome: 'duplicate' })).toBe(1);
      expect(moved('parley_ingested_messages_total', { channel: 'email', outcome: 'stored' })).toBe(1);
      // The email plugin's own series, through the plugin interface.
      expect(moved('parley_plugin_email_smtp_sessions_total')).toBe(1);
      await eventually(async () => expect(sampleValue(await scrape(), 'parley_plugin_email_smtp_sessions_open')).toBe(0));
      // Jobs: the failure counted, and the queue's depth by state.
      expect(sampleValue(after, 'parley_jobs', { state: 'failed' })).toBeGreaterThanOrEqual(1);
      expect(after.some((s) => s.name === 'parley_jobs' && s.labels.state === 'waiting')).toBe(true);
      // Projections caught up with what was written; the position moved.
      await eventually(async () => expect(sampleValue(await scrape(), 'parley_projection_lag_events')).toBe(0));
      expect(moved('parley_projection_position')).toBeGreaterThan(0);
      // Node's process metrics.
      expect(after.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
      expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    });
  });

  describe('PARLEY_METRICS=off', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { PARLEY_METRICS: 'off' } });
    });
    afterAll(() => t.close());

    it('answers 404, also with a session', async () => {
      expect((await t.request('GET', '/metrics')).status).toBe(404);
      expect((await t.request('GET', '/metrics', { token: await t.login() })).status).toBe(404);
    });
  });

  describe('PARLEY_METRICS_TOKEN', () => {
    const secret = 'scrape-token-0123456789abcdef';
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { PARLEY_METRICS_TOKEN: secret } });
    });
    afterAll(() => t.close());

    it('requires the token as a Bearer token; an agent session is not enough', async () => {
      const missing = await t.request('GET', '/metrics');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(JSON.stringify(missing.body)).not.toContain(secret);
      expect((await t.request('GET', '/metrics', { token: `${secret}x` })).status).toBe(401);
      expect((await t.request('GET', '/metrics', { token: secret.slice(0, -1) })).status).toBe(401);
      expect((await t.request('GET', '/metrics', { token: await t.login() })).status).toBe(401);
      const allowed = await t.request('GET', '/metrics', { token: secret });
      expect(allowed.status).toBe(200);
      expect(sampleValue(parseSamples(allowed.body as string), 'parley_http_request_duration_seconds_count', { route: '/metrics', status: '401' })).toBe(4);
    });
  });
});

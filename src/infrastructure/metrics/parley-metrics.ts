import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from '../../application/ports/job-queue.port';
import { createPluginMetrics } from './plugin-metrics';
import type { PluginMetrics } from '../../plugins/channel-plugin';

/** Where the projection lag is measured from: the event log's head and what every projection has applied. */
export interface ProjectionPositions {
  headPosition(): Promise<number>;
  projectedPosition(): number;
}

/** Seconds; from a 5 ms health check to a 10 s search on a cold cache. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus series of one application. Each app has its own registry (never prom-client's
 * global one): tests run several apps in one process, and each must count only its own traffic.
 */
export class ParleyMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly ingested: Counter<'channel' | 'outcome'>;
  private readonly jobAttempts: Counter<'type' | 'outcome'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status, and how long they took.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers: [this.registry],
    });
    this.ingested = new Counter({
      name: 'parley_ingested_messages_total',
      help: 'Inbound messages channels handed to the core, by channel and outcome (stored, duplicate, rejected, error).',
      labelNames: ['channel', 'outcome'],
      registers: [this.registry],
    });
    this.jobAttempts = new Counter({
      name: 'parley_job_attempts_total',
      help: 'Job attempts by type and outcome: completed, retrying (failed, tries left) or failed (gave up).',
      labelNames: ['type', 'outcome'],
      registers: [this.registry],
    });
  }

  /**
   * `route` is the pattern the router matched (`/api/conversations/:id`), never the raw URL: ids
   * in URLs would make a series per conversation. Requests no route matched share one label.
   */
  observeHttpRequest(request: { method: string; route: string | undefined; status: number; seconds: number }): void {
    this.httpDuration.observe({ method: request.method, route: request.route ?? 'unmatched', status: String(request.status) }, request.seconds);
  }

  countIngest(channel: string, outcome: 'stored' | 'duplicate' | 'rejected' | 'error'): void {
    this.ingested.inc({ channel, outcome });
  }

  /** The projection lag, read at each scrape. */
  watchProjections(positions: ProjectionPositions): void {
    new Gauge({
      name: 'parley_projection_lag_events',
      help: "Events in the log that the read models have not applied yet (head position minus the projections' checkpoint).",
      registers: [this.registry],
      async collect() {
        this.set(Math.max(0, (await positions.headPosition()) - positions.projectedPosition()));
      },
    });
    new Gauge({
      name: 'parley_projection_position',
      help: 'Position of the event log that every projection has applied.',
      registers: [this.registry],
      collect() {
        this.set(positions.projectedPosition());
      },
    });
  }

  /** Queue depth read at each scrape; attempts counted as they end. */
  watchJobQueue(queue: JobQueue): void {
    queue.observe(({ type, outcome }) => this.jobAttempts.inc({ type, outcome }));
    new Gauge({
      name: 'parley_jobs',
      help: 'Jobs in the queue by state (completed and failed: within the bounded history the queue keeps).',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const counts = await queue.counts();
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
  }

  /** The metric factories a plugin's connection hands out, namespaced `parley_plugin_<id>_`. */
  forPlugin(pluginId: string): PluginMetrics {
    return createPluginMetrics(this.registry, pluginId);
  }

  /** The text exposition format Prometheus scrapes. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

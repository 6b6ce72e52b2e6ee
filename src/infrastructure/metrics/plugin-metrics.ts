import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';
import {
  PLUGIN_METRIC_NAME_PATTERN,
  pluginMetricName,
  type MetricLabels,
  type PluginCounter,
  type PluginGauge,
  type PluginHistogram,
  type PluginMetrics,
} from '../../plugins/channel-plugin';

type Kind = 'counter' | 'gauge' | 'histogram';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A plugin's metric factories over the app's registry. Every name gets the plugin's prefix, so a
 * plugin can neither collide with another nor shadow Parley's own series.
 */
export function createPluginMetrics(registry: Registry, pluginId: string): PluginMetrics {
  const declared = new Map<string, { kind: Kind; labelNames: string; metric: Metric }>();

  function declare<M extends Metric>(
    kind: Kind,
    name: string,
    help: string,
    labelNames: readonly string[] | undefined,
    create: (fullName: string, labels: string[]) => M,
  ): M {
    if (typeof name !== 'string' || !PLUGIN_METRIC_NAME_PATTERN.test(name)) {
      throw new Error(`plugin "${pluginId}": metric names are lower snake case like "smtp_sessions_total" (got ${JSON.stringify(name)})`);
    }
    if (typeof help !== 'string' || help.trim() === '') throw new Error(`plugin "${pluginId}": metric "${name}" needs a help text saying what it counts`);
    const labels = [...(labelNames ?? [])];
    const badLabel = labels.find((label) => typeof label !== 'string' || !LABEL_NAME.test(label) || label.startsWith('__'));
    if (badLabel !== undefined) throw new Error(`plugin "${pluginId}": metric "${name}" has an invalid label name ${JSON.stringify(badLabel)}`);
    const existing = declared.get(name);
    if (existing) {
      if (existing.kind !== kind || existing.labelNames !== labels.join(',')) {
        throw new Error(`plugin "${pluginId}": metric "${name}" is already a ${existing.kind} with labels [${existing.labelNames}]`);
      }
      return existing.metric as M;
    }
    const metric = create(pluginMetricName(pluginId, name), labels);
    declared.set(name, { kind, labelNames: labels.join(','), metric });
    return metric;
  }

  return Object.freeze({
    counter(name: string, help: string, options: { labelNames?: readonly string[] } = {}): PluginCounter {
      const counter = declare(
        'counter',
        name,
        help,
        options.labelNames,
        (fullName, labelNames) => new Counter({ name: fullName, help, labelNames, registers: [registry] }),
      );
      return Object.freeze({ inc: (labels: MetricLabels = {}, by = 1) => counter.inc(labels, by) });
    },
    gauge(name: string, help: string, options: { labelNames?: readonly string[] } = {}): PluginGauge {
      const gauge = declare(
        'gauge',
        name,
        help,
        options.labelNames,
        (fullName, labelNames) => new Gauge({ name: fullName, help, labelNames, registers: [registry] }),
      );
      return Object.freeze({
        set: (value: number, labels: MetricLabels = {}) => gauge.set(labels, value),
        inc: (labels: MetricLabels = {}, by = 1) => gauge.inc(labels, by),
        dec: (labels: MetricLabels = {}, by = 1) => gauge.dec(labels, by),
      });
    },
    histogram(name: string, help: string, options: { labelNames?: readonly string[]; buckets?: readonly number[] } = {}): PluginHistogram {
      const histogram = declare(
        'histogram',
        name,
        help,
        options.labelNames,
        (fullName, labelNames) =>
          new Histogram({ name: fullName, help, labelNames, registers: [registry], ...(options.buckets ? { buckets: [...options.buckets] } : {}) }),
      );
      return Object.freeze({ observe: (value: number, labels: MetricLabels = {}) => histogram.observe(labels, value) });
    },
  });
}

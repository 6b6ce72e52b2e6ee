// Small statistics helpers: percentiles of latency samples, medians and spreads of repeated runs.

/** The q-quantile (0..1) of numbers, nearest-rank on a sorted copy; NaN for no samples. */
export function percentile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * The q-quantile of weighted samples ([value, weight] pairs): the value below which a q share
 * of the total weight lies (used for projection lag, where one sample stands for many events).
 */
export function weightedPercentile(pairs, q) {
  if (pairs.length === 0) return NaN;
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, w]) => sum + w, 0);
  let seen = 0;
  for (const [value, weight] of sorted) {
    seen += weight;
    if (seen >= q * total) return value;
  }
  return sorted[sorted.length - 1][0];
}

export function median(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** p50/p95/p99/max of latency samples in ms. */
export function latencySummary(samples) {
  return {
    count: samples.length,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    p99: percentile(samples, 0.99),
    // A loop, not Math.max(...samples): the ceiling's runs hold more samples than a call takes arguments.
    max: samples.length ? samples.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN,
  };
}

/**
 * A figure of the table: one value per run, summarised as median and min–max.
 * target: { op: '>=' | '<=', value } or null; verdict compares the median.
 */
export function figure({ id, label, unit, runs, target = null, note = undefined, digits = undefined }) {
  const finite = runs.filter((v) => Number.isFinite(v));
  const med = median(finite);
  const result = {
    id,
    label,
    unit,
    runs,
    median: med,
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    target,
    verdict: verdictOf(med, target),
  };
  if (digits !== undefined) result.digits = digits;
  if (note) result.note = note;
  return result;
}

export function verdictOf(value, target) {
  if (!target) return '';
  if (!Number.isFinite(value)) return 'no data';
  const ok = target.op === '>=' ? value >= target.value : value <= target.value;
  return ok ? 'meets' : 'MISSES';
}

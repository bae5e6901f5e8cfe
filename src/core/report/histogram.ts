/**
 * A compact latency distribution per iteration: log-scale buckets (HDR-style, each about 4.4% wide),
 * so the report keeps the whole shape — the viewer draws its CDF — in a few hundred integers, and
 * the precision of a percentile read from a sampled log, as the interval of ranks it may come from.
 */
import type { LatencyHistogram } from './model';

/** Buckets per doubling: bucket k holds latencies in [2^(k/16), 2^((k+1)/16)) µs. */
export const bucketsPerOctave = 16;

const bucketOf = (us: number) => Math.floor(Math.log2(Math.max(us, 1)) * bucketsPerOctave);

/** The histogram of latencies given in ms (any order). */
export function latencyHistogram(latenciesMs: ArrayLike<number>, samplingRate: number): LatencyHistogram | undefined {
  if (latenciesMs.length === 0) return undefined;
  let first = Infinity;
  let last = -Infinity;
  const ks = new Int32Array(latenciesMs.length);
  for (let i = 0; i < latenciesMs.length; i++) {
    const k = bucketOf(latenciesMs[i] * 1000);
    ks[i] = k;
    if (k < first) first = k;
    if (k > last) last = k;
  }
  const counts = new Array<number>(last - first + 1).fill(0);
  for (const k of ks) counts[k - first]++;
  return { unit: 'us', bucketsPerOctave, first, counts, samplingRate };
}

/** The upper edge of bucket `first + i`, in ms. */
export function bucketUpperMs(h: Pick<LatencyHistogram, 'first' | 'bucketsPerOctave'>, i: number): number {
  return 2 ** ((h.first + i + 1) / h.bucketsPerOctave) / 1000;
}

/**
 * The 95% interval of the nearest-rank p-quantile of n samples, as 1-based ranks: the order statistics
 * between which the true quantile lies with 95% probability (normal approximation of the binomial,
 * the distribution-free interval of Conover's Practical Nonparametric Statistics).
 */
export function quantileRankInterval(n: number, p: number): [number, number] {
  const half = 1.96 * Math.sqrt(n * p * (1 - p));
  return [Math.max(1, Math.floor(n * p - half)), Math.min(n, Math.ceil(n * p + half) + 1)];
}

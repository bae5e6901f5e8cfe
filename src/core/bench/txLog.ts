import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { latencyHistogram, quantileRankInterval } from '../report/histogram';
import type { LatencyHistogram } from '../report/model';

/**
 * Latency percentiles from pgbench's per-transaction log (`-l`): one line per transaction,
 * `client_id transaction_no time script_no time_epoch time_us [schedule_lag] [retries]`, where
 * `time` is the latency in µs, or `skipped` / `failed` / `serialization` / `deadlock`.
 * Files are read line by line; only the latencies are kept (8 bytes each).
 */
export interface LatencyPercentiles {
  /** transactions with a latency (sampled ones when --sampling-rate < 1) */
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  skipped: number;
  failed: number;
  samplingRate: number;
  /** 95% interval of each percentile from `count` samples */
  ci95: { p50: [number, number]; p90: [number, number]; p95: [number, number]; p99: [number, number] };
  histogram: LatencyHistogram;
}

class LatencyStore {
  private values = new Float64Array(4096);
  length = 0;

  push(v: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = v;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export async function latencyPercentilesFromLogs(
  files: string[],
  samplingRate = 1,
): Promise<LatencyPercentiles | undefined> {
  const store = new LatencyStore();
  let skipped = 0;
  let failed = 0;
  let sum = 0;
  for (const file of files) {
    const lines = readline.createInterface({
      input: fs.createReadStream(file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      const fields = line.split(' ');
      if (fields.length < 6) continue;
      const time = fields[2];
      if (time === 'skipped') skipped++;
      else if (/^\d+$/.test(time)) {
        const ms = Number(time) / 1000;
        store.push(ms);
        sum += ms;
      } else failed++;
    }
  }
  if (store.length === 0) return undefined;
  const sorted = store.sorted();
  const interval = (p: number): [number, number] => {
    const [lo, hi] = quantileRankInterval(sorted.length, p / 100);
    return [sorted[lo - 1], sorted[hi - 1]];
  };
  return {
    count: store.length,
    minMs: sorted[0],
    meanMs: sum / store.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
    skipped,
    failed,
    samplingRate,
    ci95: { p50: interval(50), p90: interval(90), p95: interval(95), p99: interval(99) },
    histogram: latencyHistogram(sorted, samplingRate)!,
  };
}

/** The log files pgbench wrote for one run: `<prefix>.<pid>` and `<prefix>.<pid>.<thread>`. */
export function transactionLogFiles(dir: string, prefix: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f === prefix || f.startsWith(`${prefix}.`))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** Above this many logged transactions per second the log costs pgbench measurable tps (BENCHMARKS.md: 8% at ~22,000). */
const loggedPerSecondLimit = 10_000;
/** What a suggested sampling rate aims at: enough for a p99 from a 10 s iteration, cheap at any tps. */
const loggedPerSecondTarget = 2_000;
const niceRates = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];

/**
 * Advice when the run logged so many transactions per second that the log itself slowed pgbench down:
 * a sampling rate that keeps about 2,000 per second. The rate is never chosen silently, because runs
 * that should be joined must carry the same pgbench options.
 */
export function transactionLogAdvice(
  iterations: readonly {
    index: number;
    tps: number | null;
    percentiles?: { samples?: number; p99: number; ci95?: { p99: [number, number] } } | null;
  }[],
  samplingRate: number,
): string | undefined {
  return tooManyLogged(iterations, samplingRate) ?? tooFewSampled(iterations, samplingRate);
}

/** Sampled transactions below which a p99 is too loose to compare runs by (its interval spans about ±40 ranks). */
const samplesForTails = 1_000;

/** Advice when a sampled log left an iteration's tail percentiles loose: the rate that gives about 2,000 samples. */
function tooFewSampled(
  iterations: Parameters<typeof transactionLogAdvice>[0],
  samplingRate: number,
): string | undefined {
  if (samplingRate >= 1) return undefined;
  const thin = iterations.find(
    (it) => it.percentiles?.samples !== undefined && it.percentiles.samples < samplesForTails,
  );
  const p = thin?.percentiles;
  if (!thin || !p?.samples) return undefined;
  const wanted = Math.min(1, (samplingRate * 2 * samplesForTails) / p.samples);
  const rate = [...niceRates].reverse().find((r) => r >= wanted) ?? 1;
  const ci = p.ci95 ? ` (p99 ${p.p99} ms, 95% interval ${p.ci95.p99[0]}–${p.ci95.p99[1]} ms)` : '';
  return (
    `iteration ${thin.index}'s percentiles come from ${p.samples} sampled transactions${ci}. ` +
    `For tail percentiles precise enough to compare runs at this rate of transactions, use --sampling-rate ${rate}` +
    ' (transactionLog.samplingRate in a plan file).'
  );
}

/** Advice when the log took so many transactions per second that it slowed pgbench down. */
function tooManyLogged(
  iterations: Parameters<typeof transactionLogAdvice>[0],
  samplingRate: number,
): string | undefined {
  let fastest: { index: number; logged: number; tps: number } | undefined;
  for (const it of iterations) {
    if (it.tps === null || !it.percentiles) continue;
    const logged = it.tps * samplingRate;
    if (!fastest || logged > fastest.logged) fastest = { index: it.index, logged, tps: it.tps };
  }
  if (!fastest || fastest.logged <= loggedPerSecondLimit) return undefined;
  const rate = niceRates.find((r) => fastest.tps * r <= loggedPerSecondTarget) ?? niceRates[niceRates.length - 1];
  const per = (n: number) => Math.round(n).toLocaleString('en-US');
  return (
    `iteration ${fastest.index} wrote ${per(fastest.logged)} transactions per second to the per-transaction log, which slows pgbench down` +
    ` (measured: about 8% of tps at 22,000 per second). For runs this fast use --sampling-rate ${rate}` +
    ` (transactionLog.samplingRate in a plan file): the percentiles then come from about ${per(fastest.tps * rate)} transactions per second.`
  );
}

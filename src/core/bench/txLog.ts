import * as fs from 'node:fs';
import * as readline from 'node:readline';

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

export async function latencyPercentilesFromLogs(files: string[], samplingRate = 1): Promise<LatencyPercentiles | undefined> {
  const store = new LatencyStore();
  let skipped = 0;
  let failed = 0;
  let sum = 0;
  for (const file of files) {
    const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
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
  };
}

/** The log files pgbench wrote for one run: `<prefix>.<pid>` and `<prefix>.<pid>.<thread>`. */
export function transactionLogFiles(dir: string, prefix: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f === prefix || f.startsWith(`${prefix}.`)).sort().map((f) => `${dir}/${f}`);
}

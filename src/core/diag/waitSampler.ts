import { PgOpsError } from '../errors';
import type { Queryable } from './queryable';

/** What an active backend that waits for nothing is doing: running on a CPU (or about to). */
export const cpuWaitType = 'CPU';
export const cpuWaitEvent = 'Running';

export interface WaitCount {
  waitEventType: string;
  waitEvent: string;
  /** Number of (sample, backend) pairs seen in this state. */
  count: number;
}

export interface WaitSnapshot {
  samples: number;
  /** Samples skipped because the previous one was still running (the server is slow to answer). */
  skipped: number;
  errors: number;
  lastError?: string;
  startedAt?: number;
  lastSampleAt?: number;
  /** Sorted by count, descending, then by type/event name. */
  counts: WaitCount[];
}

export interface WaitSamplerOptions {
  /** Samples per second (default 1). */
  hz?: number;
  /** Only these backend types (e.g. ['client backend']); default: every active backend. */
  backendTypes?: string[];
  /** Called after each successful sample with the counts of that sample only. */
  onSample?: (sample: WaitCount[], at: number) => void;
  now?: () => number;
}

/**
 * One sample, aggregated on the server: active backends except our own, grouped by wait event.
 * `Activity` waits are idle main loops of background processes (walsender, checkpointer…), not work.
 * Runs in autocommit, so pg_stat_activity is a fresh snapshot each time.
 */
export const waitSampleSql = `SELECT coalesce(wait_event_type, '${cpuWaitType}') AS wait_event_type,
       coalesce(wait_event, '${cpuWaitEvent}') AS wait_event, count(*)::int AS n
FROM pg_stat_activity
WHERE state = 'active' AND pid <> pg_backend_pid()
  AND wait_event_type IS DISTINCT FROM 'Activity'
  AND ($1::text[] IS NULL OR backend_type = ANY ($1::text[]))
GROUP BY 1, 2`;

/**
 * Samples pg_stat_activity at a fixed rate on an existing session and counts wait events — the
 * method of the pg_stat_statements sampling article (`\watch 1` + `uniq -c`), one cheap query per sample.
 */
export class WaitSampler {
  private readonly hz: number;
  private readonly now: () => number;
  private readonly counts = new Map<string, WaitCount>();
  private samples = 0;
  private skipped = 0;
  private errors = 0;
  private lastError?: string;
  private startedAt?: number;
  private lastSampleAt?: number;
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private running = false;
  private detach?: () => void;

  constructor(
    private readonly client: Queryable,
    private readonly opts: WaitSamplerOptions = {},
  ) {
    const hz = opts.hz ?? 1;
    if (!(hz > 0 && hz <= 100))
      throw new PgOpsError(
        'waits-rate',
        `Wait sampling rate ${hz} Hz is out of range`,
        'Use a rate between 0.01 and 100 samples per second (default 1).',
      );
    this.hz = hz;
    this.now = opts.now ?? Date.now;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts sampling now and then every 1/hz seconds until stop() or the signal aborts. */
  start(signal?: AbortSignal): void {
    if (this.running) return;
    if (signal?.aborted) return;
    this.running = true;
    this.startedAt ??= this.now();
    if (signal) {
      const onAbort = () => void this.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      this.detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.tick();
  }

  /** Stops the timer and waits for a sample still in flight, so its counts are included. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.detach?.();
    this.detach = undefined;
    await this.inFlight;
  }

  /** Forgets every count (e.g. between benchmark iterations); sampling continues if running. */
  reset(): void {
    this.counts.clear();
    this.samples = 0;
    this.skipped = 0;
    this.errors = 0;
    this.lastError = undefined;
    this.startedAt = this.running ? this.now() : undefined;
    this.lastSampleAt = undefined;
  }

  snapshot(): WaitSnapshot {
    const counts = [...this.counts.values()]
      .map((c) => ({ ...c }))
      .sort(
        (a, b) =>
          b.count - a.count || a.waitEventType.localeCompare(b.waitEventType) || a.waitEvent.localeCompare(b.waitEvent),
      );
    return {
      samples: this.samples,
      skipped: this.skipped,
      errors: this.errors,
      lastError: this.lastError,
      startedAt: this.startedAt,
      lastSampleAt: this.lastSampleAt,
      counts,
    };
  }

  /** Takes one sample now and adds it to the counts (also usable without start()). */
  async sampleOnce(): Promise<WaitCount[]> {
    const r = await this.client.query<{ wait_event_type: string; wait_event: string; n: number }>(waitSampleSql, [
      this.opts.backendTypes ?? null,
    ]);
    const at = this.now();
    const sample = r.rows.map((row) => ({
      waitEventType: row.wait_event_type,
      waitEvent: row.wait_event,
      count: Number(row.n),
    }));
    for (const s of sample) {
      const key = `${s.waitEventType}\u0000${s.waitEvent}`;
      const c = this.counts.get(key);
      if (c) c.count += s.count;
      else this.counts.set(key, { ...s });
    }
    this.samples += 1;
    this.lastSampleAt = at;
    this.opts.onSample?.(sample, at);
    return sample;
  }

  private tick(): void {
    if (!this.running) return;
    const due = this.now();
    if (this.inFlight) {
      this.skipped += 1;
    } else {
      this.inFlight = this.sampleOnce()
        .then(
          () => undefined,
          (err: unknown) => {
            this.errors += 1;
            this.lastError = err instanceof Error ? err.message : String(err);
          },
        )
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    const interval = 1000 / this.hz;
    this.timer = setTimeout(() => this.tick(), Math.max(0, interval - (this.now() - due)));
    this.timer.unref?.();
  }
}

/** Samples for `seconds` and returns the counts: the CLI's `pgops waits` and one-off measurements. */
export async function sampleWaits(
  client: Queryable,
  seconds: number,
  opts: WaitSamplerOptions & { signal?: AbortSignal } = {},
): Promise<WaitSnapshot> {
  const sampler = new WaitSampler(client, opts);
  sampler.start(opts.signal);
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, seconds * 1000);
    opts.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
  await sampler.stop();
  return sampler.snapshot();
}

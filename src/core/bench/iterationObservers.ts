/**
 * What is watched on the server while one iteration runs: wait events sampled from
 * pg_stat_activity (the diagnostics' WaitSampler) and the statements pg_stat_statements counted,
 * as the difference of two snapshots (no reset needed, so other users' numbers stay intact).
 */
import type { Client } from 'pg';
import { WaitSampler } from '../diag/waitSampler';
import type { StatementsSource } from '../diag/statements';
import { allStatementCounters, probeStatements, statementTexts } from '../diag/statements';
import type { StatementSnapshot } from '../diag/statementDeltas';
import { diffSnapshots } from '../diag/statementDeltas';
import type { TopStatement, WaitEventSamples } from '../report';

export class WaitObserver {
  private sampler: WaitSampler;
  error?: string;

  constructor(client: Client, intervalMs: number) {
    this.sampler = new WaitSampler(client, { hz: Math.min(100, 1000 / intervalMs), backendTypes: ['client backend'] });
  }

  start(): void {
    this.sampler.reset();
    this.sampler.start();
  }

  async stop(): Promise<WaitEventSamples[]> {
    await this.sampler.stop();
    const snap = this.sampler.snapshot();
    if (snap.errors > 0 && snap.samples === 0) this.error = snap.lastError;
    return snap.counts.map((c) => ({ type: c.waitEventType, event: c.waitEvent, samples: c.count }));
  }
}

export class StatementsObserver {
  private before?: StatementSnapshot;

  private constructor(
    private readonly client: Client,
    private readonly source: StatementsSource,
    private readonly limit: number,
  ) {}

  /** undefined (with the reason) when pg_stat_statements cannot be read in the benchmark database. */
  static async create(client: Client, limit: number): Promise<StatementsObserver | string> {
    const probe = await probeStatements(client);
    if (probe.state === 'ready') return new StatementsObserver(client, probe.source, limit);
    return `top statements not collected: pg_stat_statements is ${probe.state} in this database`;
  }

  async snapshot(): Promise<StatementSnapshot> {
    return {
      at: Date.now(),
      statsReset: null,
      entries: await allStatementCounters(this.client, this.source, { currentDatabaseOnly: true }),
    };
  }

  async begin(): Promise<void> {
    this.before = await this.snapshot();
  }

  /** The statements with the most total time since begin(), with their texts. */
  async end(): Promise<TopStatement[]> {
    if (!this.before) return [];
    const delta = diffSnapshots(this.before, await this.snapshot());
    const top = delta.entries.sort((a, b) => b.totalMs - a.totalMs).slice(0, this.limit);
    const texts = await statementTexts(
      this.client,
      this.source,
      top.map((e) => e.queryid).filter((q): q is string => q !== null),
    );
    return top.map((e) => ({
      queryid: e.queryid ?? undefined,
      query: texts.get(e.key) ?? e.query ?? '',
      calls: e.calls,
      totalMs: round3(e.totalMs),
      meanMs: round3(e.meanMs),
      rows: e.rows,
      sharedBlksHit: e.counters.sharedBlksHit,
      sharedBlksRead: e.counters.sharedBlksRead,
      tempBlksWritten: e.counters.tempBlksWritten,
      walBytes: e.counters.walBytes,
    }));
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

import type { DeltaResult, StatementDelta, StatementHistory } from './statementDeltas';
import { topStatementDeltas } from './statementDeltas';
import type { HealthNote } from './statementHealth';
import { statementHealth } from './statementHealth';
import type { StatementOrder, StatementsProbe, StatementStats } from './statements';
import { canResetStatements, probeStatements, topStatements } from './statements';
import type { Queryable } from './queryable';

export type QueryStatsMode = 'cumulative' | 'delta';

export interface QueryStatsLoad {
  probe: StatementsProbe;
  notes: HealthNote[];
  mode: QueryStatsMode;
  order: StatementOrder;
  statements: Array<StatementStats | StatementDelta>;
  /** Delta mode: the interval shown; undefined after the first snapshot. */
  interval?: Pick<DeltaResult, 'from' | 'to' | 'fullReset'>;
  canReset: boolean;
}

/** Everything one refresh of the Query Stats view reads (also what bench:diag times). */
export async function loadQueryStats(
  client: Queryable,
  opts: { mode: QueryStatsMode; order: StatementOrder; limit: number; history: StatementHistory },
): Promise<QueryStatsLoad> {
  const probe = await probeStatements(client);
  const notes = await statementHealth(client, probe);
  const base = { probe, notes, mode: opts.mode, order: opts.order, statements: [], canReset: false };
  if (probe.state !== 'ready') return base;
  const canReset = (await canResetStatements(client, probe.source)).allowed;
  if (opts.mode === 'delta') {
    const delta = await topStatementDeltas(client, probe.source, opts.history, {
      order: opts.order,
      limit: opts.limit,
    });
    return {
      ...base,
      canReset,
      statements: delta?.entries ?? [],
      interval: delta && { from: delta.from, to: delta.to, fullReset: delta.fullReset },
    };
  }
  return {
    ...base,
    canReset,
    statements: await topStatements(client, probe.source, { order: opts.order, limit: opts.limit }),
  };
}

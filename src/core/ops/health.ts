/**
 * The health checks a DBA runs every day, on one diagnostic session: each has an id, a status (ok, warn,
 * fail, unknown), the value it was judged on, its threshold, what it means and how to fix it. A check
 * that errors (no privilege, a timeout) is `unknown` with the reason, and the others still run.
 */
import { throwIfAborted } from '../errors';
import { diagError } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { num } from '../diag/queryable';
import { checkDuplicateIndexes, checkInvalidIndexes, checkUnusedIndexes } from './healthIndexes';
import type { CheckContext, CheckOutcome, HealthCheckId, HealthOptions, HealthResult } from './healthModel';
import { healthCheckIds, healthOptions, unknownOutcome } from './healthModel';
import { checkReplicationSlots, checkSequences } from './healthRetention';
import {
  checkArchiver,
  checkCacheHit,
  checkCheckpoints,
  checkDeadlocks,
  checkIo,
  checkTempFiles,
  checkWraparound,
} from './healthServer';
import { checkConnections, checkIdleInTransaction, checkLongTransactions } from './healthSessions';

export * from './healthModel';

const checks: Record<HealthCheckId, (ctx: CheckContext) => Promise<CheckOutcome>> = {
  connections: checkConnections,
  'long-transactions': checkLongTransactions,
  'idle-in-transaction': checkIdleInTransaction,
  wraparound: checkWraparound,
  checkpoints: checkCheckpoints,
  'cache-hit': checkCacheHit,
  'unused-indexes': checkUnusedIndexes,
  'invalid-indexes': checkInvalidIndexes,
  'duplicate-indexes': checkDuplicateIndexes,
  'replication-slots': checkReplicationSlots,
  sequences: checkSequences,
  'temp-files': checkTempFiles,
  deadlocks: checkDeadlocks,
  archiver: checkArchiver,
  io: checkIo,
};

export interface HealthRunOptions {
  /** Thresholds over the defaults (defaultHealthOptions). */
  options?: Partial<HealthOptions>;
  /** Only these checks, in the standard order; default all. */
  only?: readonly HealthCheckId[];
  signal?: AbortSignal;
}

const sessionFactsSql = `SELECT pg_catalog.current_setting('server_version_num')::int AS version_num,
  pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats`;

/**
 * Runs the checks one after another on `client` (a read-only diagnostic session is enough). The checks
 * of tables and indexes look at the database the session is connected to.
 */
export async function runHealthChecks(client: Queryable, run: HealthRunOptions = {}): Promise<HealthResult[]> {
  const options = healthOptions(run.options);
  let facts: Record<string, unknown>;
  try {
    facts = (await client.query(sessionFactsSql)).rows[0];
  } catch (err) {
    throw diagError(err, 'Reading the server version for the health checks');
  }
  const ctx: CheckContext = {
    client,
    versionNum: num(facts.version_num),
    options,
    readAllStats: !!facts.read_all_stats,
  };
  const results: HealthResult[] = [];
  for (const id of healthCheckIds) {
    if (run.only && !run.only.includes(id)) continue;
    throwIfAborted(run.signal);
    results.push({ id, ...(await outcomeOf(id, ctx)) });
  }
  return results;
}

/** One check, its failure turned into `unknown` with what the user can do about it. */
async function outcomeOf(id: HealthCheckId, ctx: CheckContext): Promise<CheckOutcome> {
  try {
    return await checks[id](ctx);
  } catch (err) {
    const e = diagError(err, `Health check ${id}`);
    return unknownOutcome('count', e.message, e.hint ?? null);
  }
}

/** The checks that failed, for `--strict`. */
export function failedChecks(results: readonly HealthResult[]): HealthResult[] {
  return results.filter((r) => r.status === 'fail');
}

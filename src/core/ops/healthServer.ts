/** Health checks on the server as a whole: wraparound, checkpoints, cache, temp files, deadlocks, archiver, I/O. */
import { num, numOrNull } from '../diag/queryable';
import { formatBytes } from '../diag/replication';
import type { CheckContext, CheckOutcome, HealthDetail } from './healthModel';
import { judged, tooFewToJudge, unknownOutcome, worseStatus } from './healthModel';

/**
 * An XID age at which wraparound is a failure whatever autovacuum_freeze_max_age says (it may be set
 * up to 2 billion): PostgreSQL stops assigning XIDs a few million short of 2^31 (about 2.1 billion).
 */
export const xidAgeFailFloor = 1_500_000_000;

/** Fewer checkpoints than this since the reset are too few to judge the requested share on. */
export const minCheckpoints = 5;

/** A database with fewer blocks hit plus read than this is left out of the cache-hit check. */
export const cacheHitMinBlocks = 10_000;

/** Fewer writes of shared relation buffers than this (all backends, normal context) are too few to judge who writes. */
export const minIoWrites = 1000;

const databaseAgesSql = `SELECT d.datname::text AS datname, pg_catalog.age(d.datfrozenxid)::float8 AS xid_age,
  pg_catalog.mxid_age(d.datminmxid)::float8 AS mxid_age,
  pg_catalog.current_setting('autovacuum_freeze_max_age')::float8 AS xid_max,
  pg_catalog.current_setting('autovacuum_multixact_freeze_max_age')::float8 AS mxid_max
FROM pg_catalog.pg_database d
ORDER BY pg_catalog.age(d.datfrozenxid) DESC`;

const tableAgesSql = `SELECT n.nspname::text AS schema, c.relname::text AS relname,
  pg_catalog.age(c.relfrozenxid)::float8 AS xid_age, pg_catalog.mxid_age(c.relminmxid)::float8 AS mxid_age
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm', 't') AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY pg_catalog.age(c.relfrozenxid) DESC
LIMIT $1`;

/** age as a percentage of the autovacuum limit: the worse of transaction IDs and multixacts. */
export function wraparoundPct(xidAge: number, xidMax: number, mxidAge: number, mxidMax: number): number {
  return Math.max((xidAge / Math.max(1, xidMax)) * 100, (mxidAge / Math.max(1, mxidMax)) * 100);
}

const freezeFix =
  'Find what holds the horizon back (long transactions, prepared transactions, replication slots with an old xmin), ' +
  'then VACUUM (FREEZE, VERBOSE) the oldest tables listed, in each database named.';

export async function checkWraparound(ctx: CheckContext): Promise<CheckOutcome> {
  const dbs = (await ctx.client.query(databaseAgesSql)).rows.map((r) => ({
    datname: String(r.datname),
    xidAge: num(r.xid_age),
    mxidAge: num(r.mxid_age),
    pct: wraparoundPct(num(r.xid_age), num(r.xid_max), num(r.mxid_age), num(r.mxid_max)),
    xidMax: num(r.xid_max),
    mxidMax: num(r.mxid_max),
  }));
  const tables = (await ctx.client.query(tableAgesSql, [ctx.options.detailRows])).rows;
  const worst = dbs.reduce((a, b) => (b.pct > a.pct ? b : a), dbs[0]);
  const details: HealthDetail[] = [
    ...[...dbs]
      .sort((a, b) => b.pct - a.pct)
      .slice(0, ctx.options.detailRows)
      .map((d) => ({ database: d.datname, table: null, xidAge: d.xidAge, mxidAge: d.mxidAge })),
    ...tables.map((t) => ({
      database: null,
      table: `${String(t.schema)}.${String(t.relname)}`,
      xidAge: num(t.xid_age),
      mxidAge: num(t.mxid_age),
    })),
  ];
  const outcome = judged(ctx.options, 'wraparoundPct', worst.pct, 'percent', {
    message:
      `Database ${worst.datname}: age(datfrozenxid) ${worst.xidAge} of autovacuum_freeze_max_age ${worst.xidMax}, ` +
      `mxid_age(datminmxid) ${worst.mxidAge} of autovacuum_multixact_freeze_max_age ${worst.mxidMax}. ` +
      'Past 100% autovacuum is behind on freezing; at about 2.1 billion the server stops taking writes.' +
      (tables.length ? ` Oldest table here: ${String(tables[0].schema)}.${String(tables[0].relname)}.` : ''),
    fix: freezeFix,
    details,
  });
  if (worst.xidAge >= xidAgeFailFloor) return { ...outcome, status: 'fail', fix: freezeFix };
  return outcome;
}

function checkpointsSql(versionNum: number): string {
  const [timed, requested, view] =
    versionNum >= 170000
      ? ['num_timed', 'num_requested', 'pg_stat_checkpointer']
      : ['checkpoints_timed', 'checkpoints_req', 'pg_stat_bgwriter'];
  return `SELECT c.${timed}::float8 AS timed, c.${requested}::float8 AS requested, c.stats_reset::text AS since,
  pg_catalog.current_setting('max_wal_size') AS max_wal_size, pg_catalog.current_setting('checkpoint_timeout') AS timeout
FROM pg_catalog.${view} c`;
}

export async function checkCheckpoints(ctx: CheckContext): Promise<CheckOutcome> {
  const r = (await ctx.client.query(checkpointsSql(ctx.versionNum))).rows[0];
  const timed = num(r.timed);
  const requested = num(r.requested);
  const view = ctx.versionNum >= 170000 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter';
  const counts = `${requested} requested and ${timed} timed checkpoints since ${String(r.since ?? 'the statistics began')} (${view})`;
  const total = timed + requested;
  if (total < minCheckpoints)
    return tooFewToJudge(ctx.options, 'checkpointsRequestedPct', 'percent', `${counts}: too few to judge.`);
  return judged(ctx.options, 'checkpointsRequestedPct', (requested / total) * 100, 'percent', {
    message:
      `${counts}. Requested checkpoints come from WAL reaching max_wal_size (${String(r.max_wal_size)}) before ` +
      `checkpoint_timeout (${String(r.timeout)}), or from CHECKPOINT, CREATE DATABASE and base backups.`,
    fix:
      `If the server log says "checkpoints are occurring too frequently", raise max_wal_size (now ${String(r.max_wal_size)}) ` +
      "so that checkpoints come from checkpoint_timeout: ALTER SYSTEM SET max_wal_size = '…'; SELECT pg_catalog.pg_reload_conf();",
  });
}

const cacheHitSql = `SELECT d.datname::text AS datname, d.blks_hit::float8 AS hit, d.blks_read::float8 AS read
FROM pg_catalog.pg_stat_database d
WHERE d.datname IS NOT NULL AND d.blks_hit + d.blks_read >= $1
ORDER BY d.blks_hit::float8 / (d.blks_hit + d.blks_read), d.datname`;

export async function checkCacheHit(ctx: CheckContext): Promise<CheckOutcome> {
  const rows = (await ctx.client.query(cacheHitSql, [cacheHitMinBlocks])).rows.map((r) => ({
    database: String(r.datname),
    hitPct: (num(r.hit) / (num(r.hit) + num(r.read))) * 100,
    blocksRead: num(r.read),
  }));
  const details = rows
    .slice(0, ctx.options.detailRows)
    .map((r) => ({ ...r, hitPct: Math.round(r.hitPct * 100) / 100 }));
  if (!rows.length)
    return tooFewToJudge(
      ctx.options,
      'cacheHitPct',
      'percent',
      `No database has read ${cacheHitMinBlocks} blocks yet: too little traffic to judge.`,
    );
  const worst = rows[0];
  return judged(ctx.options, 'cacheHitPct', worst.hitPct, 'percent', {
    message:
      `Lowest buffer cache hit ratio: database ${worst.database}, ${Math.round(worst.hitPct * 100) / 100}% ` +
      '(blocks read also count reads served by the OS page cache).',
    fix: 'Raise shared_buffers if the working set fits in memory (restart), or find the statements that read most (pgops stats --order io).',
    details,
  });
}

const databaseCountersSql = `SELECT d.datname::text AS datname, d.temp_files::float8 AS temp_files, d.temp_bytes::float8 AS temp_bytes,
  d.deadlocks::float8 AS deadlocks, d.stats_reset::text AS stats_reset
FROM pg_catalog.pg_stat_database d
WHERE d.datname IS NOT NULL`;

export async function checkTempFiles(ctx: CheckContext): Promise<CheckOutcome> {
  const rows = (await ctx.client.query(databaseCountersSql)).rows.sort((a, b) => num(b.temp_bytes) - num(a.temp_bytes));
  const worst = rows[0];
  const worstBytes = worst ? num(worst.temp_bytes) : 0;
  return judged(ctx.options, 'tempBytes', worstBytes, 'bytes', {
    message: worstBytes
      ? `Database ${String(worst.datname)} wrote ${num(worst.temp_files)} temporary file(s), ${formatBytes(worstBytes)}, ` +
        `since ${String(worst.stats_reset ?? 'its statistics began')}: sorts and hashes that did not fit in work_mem.`
      : 'No database wrote temporary files since its statistics reset.',
    fix:
      'Find the statements (pgops stats --order temp), give them more work_mem (SET work_mem in their session or role), ' +
      'and set log_temp_files to log the big ones.',
    details: rows
      .filter((r) => num(r.temp_files) > 0)
      .slice(0, ctx.options.detailRows)
      .map((r) => ({ database: String(r.datname), files: num(r.temp_files), bytes: num(r.temp_bytes) })),
  });
}

export async function checkDeadlocks(ctx: CheckContext): Promise<CheckOutcome> {
  const rows = (await ctx.client.query(databaseCountersSql)).rows.filter((r) => num(r.deadlocks) > 0);
  const total = rows.reduce((n, r) => n + num(r.deadlocks), 0);
  return judged(ctx.options, 'deadlocks', total, 'count', {
    message: total
      ? `${total} deadlock(s) since the statistics reset: ${rows.map((r) => `${String(r.datname)} ${num(r.deadlocks)}`).join(', ')}.`
      : 'No deadlock since the statistics reset.',
    fix:
      'The server log has each deadlock with its statements (log_lock_waits = on adds the waits before them): ' +
      'make the transactions take their row locks in one consistent order.',
    details: rows
      .sort((a, b) => num(b.deadlocks) - num(a.deadlocks))
      .slice(0, ctx.options.detailRows)
      .map((r) => ({ database: String(r.datname), deadlocks: num(r.deadlocks) })),
  });
}

const archiverSql = `SELECT pg_catalog.current_setting('archive_mode') AS mode, a.archived_count::float8 AS archived,
  a.failed_count::float8 AS failed, a.last_failed_wal, a.last_failed_time::text AS last_failed_time,
  a.last_archived_time::text AS last_archived_time,
  (a.last_failed_time IS NOT NULL AND (a.last_archived_time IS NULL OR a.last_failed_time > a.last_archived_time)) AS failing
FROM pg_catalog.pg_stat_archiver a`;

export async function checkArchiver(ctx: CheckContext): Promise<CheckOutcome> {
  const r = (await ctx.client.query(archiverSql)).rows[0];
  const failed = num(r.failed);
  const mode = String(r.mode);
  const outcome = judged(ctx.options, 'archiverFailures', failed, 'count', {
    message:
      `archive_mode is ${mode}; ${num(r.archived)} WAL file(s) archived, ${failed} failure(s)` +
      (r.last_failed_time ? `, the last for ${String(r.last_failed_wal)} at ${String(r.last_failed_time)}` : '') +
      (r.failing ? '. Archiving is failing now: WAL piles up in pg_wal until it works again.' : '.'),
    fix:
      'Read the archive_command (or archive_library) errors in the server log and fix the destination; ' +
      'WAL is kept until each file is archived.',
    details: [],
  });
  return r.failing ? { ...outcome, status: worseStatus(outcome.status, 'fail') } : outcome;
}

function ioSql(versionNum: number): string {
  const bytes = versionNum >= 180000 ? 'io.write_bytes' : 'io.writes * io.op_bytes';
  return `SELECT io.backend_type, pg_catalog.sum(${bytes})::float8 AS write_bytes, pg_catalog.sum(io.writes)::float8 AS writes,
  pg_catalog.sum(io.writes) FILTER (WHERE io.object = 'relation' AND io.context = 'normal')::float8 AS normal_writes
FROM pg_catalog.pg_stat_io io
GROUP BY io.backend_type
ORDER BY write_bytes DESC NULLS LAST, io.backend_type`;
}

export async function checkIo(ctx: CheckContext): Promise<CheckOutcome> {
  if (ctx.versionNum < 160000)
    return unknownOutcome(
      'percent',
      'pg_stat_io needs PostgreSQL 16 or later: this server has no I/O statistics by backend type.',
    );
  const rows = (await ctx.client.query(ioSql(ctx.versionNum))).rows;
  const normal = rows.reduce((n, r) => n + num(r.normal_writes), 0);
  const byClients = num(rows.find((r) => r.backend_type === 'client backend')?.normal_writes);
  const details = rows
    .filter((r) => num(r.writes) > 0)
    .slice(0, ctx.options.detailRows)
    .map((r) => ({ backendType: String(r.backend_type), writes: num(r.writes), bytes: numOrNull(r.write_bytes) }));
  const top = details.map((d) => `${d.backendType} ${formatBytes(d.bytes ?? 0)}`).join(', ');
  if (normal < minIoWrites)
    return tooFewToJudge(
      ctx.options,
      'clientWritesPct',
      'percent',
      `${normal} write(s) of shared relation buffers since the I/O statistics reset: too few to judge.${top ? ` Top writers: ${top}.` : ''}`,
      details,
    );
  return judged(ctx.options, 'clientWritesPct', (byClients / normal) * 100, 'percent', {
    message:
      `Client backends did ${byClients} of ${normal} writes of shared relation buffers themselves (pg_stat_io, normal context); ` +
      `the checkpointer and background writer should write most. Top writers: ${top}.`,
    fix:
      'Raise shared_buffers, and make the background writer work ahead (bgwriter_lru_maxpages, bgwriter_delay) ' +
      'or checkpoints more spread (checkpoint_completion_target).',
    details,
  });
}

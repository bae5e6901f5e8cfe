import { diagError } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { numOrNull } from '../diag/queryable';
import { cpuWaitType } from '../diag/waitSampler';
import { redactText } from '../redact';
import { defaultHealthOptions } from './healthModel';

/** The heavyweight lock a waiting session asked for and has not been granted (from pg_locks). */
export interface WaitingLock {
  locktype: string;
  mode: string;
  /** schema.name of the locked relation (quoted where needed); null when the lock is not on a relation of this database. */
  relation: string | null;
  relationOid: number | null;
  /** The transaction waited for: a row lock held by another transaction shows as a wait on its transaction id. */
  transactionId: string | null;
}

/** One row of pg_stat_activity as the Activity view and `pgops activity` show it. */
export interface ActivitySession {
  pid: number;
  /** The leader of a parallel worker. */
  leaderPid: number | null;
  user: string | null;
  database: string | null;
  application: string | null;
  clientAddr: string | null;
  backendType: string | null;
  state: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  queryAgeS: number | null;
  xactAgeS: number | null;
  stateAgeS: number | null;
  /** pg_blocking_pids of a session waiting for a lock; 0 stands for a prepared transaction. */
  blockedBy: number[];
  waitingFor: WaitingLock | null;
  /** query_id (14+; null before, or when compute_query_id is off). */
  queryId: string | null;
  /** The statement text with secrets redacted; `<insufficient privilege>` for other roles' sessions without pg_read_all_stats. */
  query: string | null;
  /** The backend of the session that read this list. */
  isOwn: boolean;
}

export interface ActivitySnapshot {
  sessions: ActivitySession[];
  ownPid: number;
  /** idle_in_transaction_session_timeout as this session sees it, in ms; 0 means off. */
  idleInTransactionSessionTimeoutMs: number | null;
  /** transaction_timeout (17+) in ms; null before 17. */
  transactionTimeoutMs: number | null;
  /** The server's clock when the list was read (ISO 8601). */
  readAt: string;
}

export interface ActivityOptions {
  /** Sessions in state `idle`, and background processes waiting in their main loop (wait type Activity); default false. */
  includeIdle?: boolean;
  /** The reading session's own backend; default false. */
  includeOwn?: boolean;
}

/**
 * The one query of a refresh: every session with its ages, its blockers and the lock it waits for.
 * pg_blocking_pids takes the lock manager's partition locks, so it runs only for sessions that wait for a
 * lock; pg_locks is read once, for the requests not granted. The settings row is joined so that it comes
 * back even when no session is listed. $1: include idle, $2: include own backend.
 */
export function activitySql(serverVersionNum: number): string {
  const queryId = serverVersionNum >= 140000 ? 'a.query_id::text' : 'NULL::text';
  return `SELECT x.own_pid, x.idle_timeout, x.xact_timeout, pg_catalog.date_part('epoch', x.read_at) AS read_at_epoch, s.*
FROM (SELECT pg_catalog.pg_backend_pid() AS own_pid,
             pg_catalog.current_setting('idle_in_transaction_session_timeout') AS idle_timeout,
             pg_catalog.current_setting('transaction_timeout', true) AS xact_timeout,
             pg_catalog.statement_timestamp() AS read_at) x
LEFT JOIN (
  SELECT a.pid, a.leader_pid, a.usename::text AS usename, a.datname::text AS datname, a.application_name,
         pg_catalog.host(a.client_addr) AS client_addr, a.backend_type, a.state, a.wait_event_type, a.wait_event,
         pg_catalog.date_part('epoch', pg_catalog.statement_timestamp() - a.query_start) AS query_age_s,
         pg_catalog.date_part('epoch', pg_catalog.statement_timestamp() - a.xact_start) AS xact_age_s,
         pg_catalog.date_part('epoch', pg_catalog.statement_timestamp() - a.state_change) AS state_age_s,
         CASE WHEN a.wait_event_type = 'Lock' THEN pg_catalog.pg_blocking_pids(a.pid) END AS blocked_by,
         w.locktype, w.mode, w.relation_oid, w.relation, w.transaction_id,
         ${queryId} AS query_id, a.query, a.pid = pg_catalog.pg_backend_pid() AS is_own
  FROM pg_catalog.pg_stat_activity a
  LEFT JOIN (
    SELECT l.pid, l.locktype, l.mode, l.relation::int8 AS relation_oid, l.transactionid::text AS transaction_id,
           CASE WHEN c.oid IS NOT NULL THEN pg_catalog.format('%I.%I', n.nspname, c.relname) END AS relation
    FROM pg_catalog.pg_locks l
    LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
      AND l.database IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT l.granted
  ) w ON w.pid = a.pid
  WHERE ($1::bool OR (a.state IS DISTINCT FROM 'idle' AND a.wait_event_type IS DISTINCT FROM 'Activity'))
    AND ($2::bool OR a.pid <> pg_catalog.pg_backend_pid())
) s ON true
ORDER BY s.xact_age_s DESC NULLS LAST, s.pid`;
}

const queryTexts = new Map<number, string>();

function textFor(serverVersionNum: number): string {
  const major = Math.floor(serverVersionNum / 10000);
  let sql = queryTexts.get(major);
  if (!sql) {
    sql = activitySql(serverVersionNum);
    queryTexts.set(major, sql);
  }
  return sql;
}

/** A text column: pg returns text, name and inet-as-text columns as strings, SQL NULL as null. */
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Reads the sessions of the server in one query (see activitySql). */
export async function readActivity(
  client: Queryable,
  serverVersionNum: number,
  opts: ActivityOptions = {},
): Promise<ActivitySnapshot> {
  let rows: Array<Record<string, unknown>>;
  try {
    rows = (await client.query(textFor(serverVersionNum), [!!opts.includeIdle, !!opts.includeOwn])).rows;
  } catch (err) {
    throw diagError(err, 'Reading pg_stat_activity', 'pg_read_all_stats');
  }
  const head = rows[0];
  return {
    sessions: rows.filter((r) => r.pid !== null && r.pid !== undefined).map(sessionFromRow),
    ownPid: Number(head.own_pid),
    idleInTransactionSessionTimeoutMs: gucDurationMs(str(head.idle_timeout)),
    transactionTimeoutMs: gucDurationMs(str(head.xact_timeout)),
    readAt: new Date(Number(head.read_at_epoch) * 1000).toISOString(),
  };
}

function sessionFromRow(r: Record<string, unknown>): ActivitySession {
  return {
    pid: Number(r.pid),
    leaderPid: numOrNull(r.leader_pid),
    user: str(r.usename),
    database: str(r.datname),
    application: str(r.application_name),
    clientAddr: str(r.client_addr),
    backendType: str(r.backend_type),
    state: str(r.state),
    waitEventType: str(r.wait_event_type),
    waitEvent: str(r.wait_event),
    queryAgeS: numOrNull(r.query_age_s),
    xactAgeS: numOrNull(r.xact_age_s),
    stateAgeS: numOrNull(r.state_age_s),
    blockedBy: Array.isArray(r.blocked_by) ? (r.blocked_by as unknown[]).map(Number) : [],
    waitingFor:
      typeof r.locktype !== 'string'
        ? null
        : {
            locktype: r.locktype,
            mode: str(r.mode) ?? '',
            relation: str(r.relation),
            relationOid: numOrNull(r.relation_oid),
            transactionId: str(r.transaction_id),
          },
    queryId: str(r.query_id),
    query: typeof r.query === 'string' ? redactText(r.query) : null,
    isOwn: r.is_own === true,
  };
}

const gucTimeUnits: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time setting as current_setting shows it ('0', '250ms', '10s', '5min', '1h', '2d') in milliseconds; a bare
 * number is in the setting's base unit, milliseconds for the timeouts read here. Null when absent or unreadable.
 */
export function gucDurationMs(text: string | null): number | null {
  if (text === null) return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * gucTimeUnits[m[2] ?? 'ms'];
}

/** How the Activity view can group sessions. */
export const activityGroupings = ['state', 'database', 'application', 'wait'] as const;
export type ActivityGrouping = (typeof activityGroupings)[number];

export interface SessionGroup {
  key: string;
  sessions: ActivitySession[];
}

/** The name of the group a session falls in; an active session that waits for nothing is on the CPU. */
export function groupKey(s: ActivitySession, by: ActivityGrouping): string {
  switch (by) {
    case 'state':
      return s.state ?? '(no state)';
    case 'database':
      return s.database ?? '(no database)';
    case 'application':
      return s.application || '(no application name)';
    case 'wait':
      return s.waitEventType ?? (s.state === 'active' ? cpuWaitType : '(no wait)');
  }
}

/** Sessions grouped by `by`, the largest group first (then by name); each group keeps the sessions' order. */
export function groupSessions(sessions: readonly ActivitySession[], by: ActivityGrouping): SessionGroup[] {
  const groups = new Map<string, ActivitySession[]>();
  for (const s of sessions) {
    const key = groupKey(s, by);
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  return [...groups]
    .map(([key, list]) => ({ key, sessions: list }))
    .sort((a, b) => b.sessions.length - a.sessions.length || a.key.localeCompare(b.key));
}

/** Thresholds in seconds above which a session is flagged (the extension's settings, the CLI's flags). */
export interface ActivityThresholds {
  longTransactionS: number;
  idleInTransactionS: number;
}

/** The health checks' warn levels, so a session the Activity view flags is one `pgops health` warns about. */
export const defaultActivityThresholds: ActivityThresholds = {
  longTransactionS: defaultHealthOptions.longTransactionS.warn ?? 300,
  idleInTransactionS: defaultHealthOptions.idleInTransactionS.warn ?? 60,
};

export type SessionFlag = 'long-transaction' | 'idle-in-transaction';

/** What is wrong with a session against the thresholds: a transaction open too long, or idle inside one too long. */
export function sessionFlags(s: ActivitySession, t: ActivityThresholds): SessionFlag[] {
  const flags: SessionFlag[] = [];
  if (s.xactAgeS !== null && s.xactAgeS >= t.longTransactionS) flags.push('long-transaction');
  if (s.state?.startsWith('idle in transaction') && s.stateAgeS !== null && s.stateAgeS >= t.idleInTransactionS)
    flags.push('idle-in-transaction');
  return flags;
}

/** An age for a row or a tooltip: seconds to one decimal below a minute, then minutes, hours, days. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '';
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  if (whole < 86_400)
    return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(whole / 86_400)} d ${Math.floor((whole % 86_400) / 3600)} h`;
}

/** What a session waits for, in words: `Lock/relation: AccessExclusiveLock on public.t`, `IO/DataFileRead`, or ''. */
export function waitLabel(s: ActivitySession): string {
  const event = s.waitEventType ? `${s.waitEventType}/${s.waitEvent ?? '?'}` : '';
  const lock = s.waitingFor;
  if (!lock) return event;
  const on =
    lock.relation ??
    (lock.transactionId !== null
      ? `transaction ${lock.transactionId}`
      : lock.relationOid !== null
        ? `relation oid ${lock.relationOid} (another database)`
        : lock.locktype);
  return `${event}: ${lock.mode} on ${on}`;
}

/** A text on one line (blanks collapsed), cut to `max` characters with an ellipsis. */
export function oneLine(text: string | null, max: number): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A timeout setting in ms as people read it: `off` for 0, `unknown` when it could not be read. */
export function timeoutText(ms: number | null): string {
  if (ms === null) return 'unknown';
  return ms === 0 ? 'off' : formatAge(ms / 1000);
}

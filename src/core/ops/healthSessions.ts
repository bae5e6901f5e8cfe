/** Health checks on sessions: connection slots, long transactions, sessions idle in a transaction. */
import { num, numOrNull } from '../diag/queryable';
import type { CheckContext, CheckOutcome, HealthDetail } from './healthModel';
import { formatSeconds, hiddenSessionsNote, judged } from './healthModel';

/**
 * A client backend, or a session this role may not see (its backend_type is hidden then, but its
 * role is not, and only client and walsender sessions have one).
 */
const clientOrHidden = "(a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL))";

export function connectionsSql(versionNum: number): string {
  const reserved = versionNum >= 160000 ? "pg_catalog.current_setting('reserved_connections')::int" : '0';
  return `SELECT pg_catalog.current_setting('max_connections')::int AS max_connections,
  pg_catalog.current_setting('superuser_reserved_connections')::int AS superuser_reserved,
  ${reserved} AS reserved,
  (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity a WHERE ${clientOrHidden})::int AS used`;
}

/** Client sessions by state, and by role and application (one pass over pg_stat_activity). */
const connectionGroupsSql = `SELECT a.state, a.usename::text AS usename, a.application_name,
  GROUPING(a.state) AS by_role, pg_catalog.count(*)::int AS n
FROM pg_catalog.pg_stat_activity a
WHERE ${clientOrHidden}
GROUP BY GROUPING SETS ((a.state), (a.usename, a.application_name))
ORDER BY by_role, n DESC`;

export async function checkConnections(ctx: CheckContext): Promise<CheckOutcome> {
  const s = (await ctx.client.query(connectionsSql(ctx.versionNum))).rows[0];
  const groups = (await ctx.client.query(connectionGroupsSql)).rows;
  const max = num(s.max_connections);
  const superuserReserved = num(s.superuser_reserved);
  const reserved = num(s.reserved);
  const available = Math.max(1, max - superuserReserved - reserved);
  const used = num(s.used);
  const pct = (used / available) * 100;
  const byState = groups.filter((g) => num(g.by_role) === 0);
  const byRole = groups.filter((g) => num(g.by_role) === 1).slice(0, ctx.options.detailRows);
  const details: HealthDetail[] = [
    ...byState.map((g) => ({ group: 'state', key: (g.state as string | null) ?? 'hidden', sessions: num(g.n) })),
    ...byRole.map((g) => ({
      group: 'role/application',
      key: `${(g.usename as string | null) ?? '?'} / ${(g.application_name as string | null) || '(none)'}`,
      sessions: num(g.n),
    })),
  ];
  const states = byState.map((g) => `${num(g.n)} ${(g.state as string | null) ?? 'hidden'}`).join(', ');
  const reservedText =
    `max_connections ${max} − superuser_reserved_connections ${superuserReserved}` +
    (ctx.versionNum >= 160000 ? ` − reserved_connections ${reserved}` : '');
  return judged(ctx.options, 'connectionsPct', pct, 'percent', {
    message: `${used} of ${available} client connection slots in use (${reservedText})${states ? `: ${states}` : ''}.`,
    fix:
      'Put a connection pooler (PgBouncer) in front of the applications, close idle sessions (idle_session_timeout), ' +
      'or raise max_connections (needs a restart; each connection costs memory).',
    details,
  });
}

interface SessionAge {
  pid: number;
  usename: string | null;
  application_name: string | null;
  state: string | null;
  age_s: number | null;
}

/**
 * Client sessions ordered by how long `since` (xact_start or state_change) is ago, oldest first, with
 * how many there are in all.
 */
function sessionsByAgeSql(since: 'xact_start' | 'state_change', filter: string): string {
  return `SELECT a.pid, a.usename::text AS usename, a.application_name, a.state,
  pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - a.${since})::float8 AS age_s,
  pg_catalog.count(*) OVER ()::int AS total
FROM pg_catalog.pg_stat_activity a
WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid() AND ${filter}
ORDER BY a.${since}
LIMIT $1`;
}

const longTransactionsSql = sessionsByAgeSql('xact_start', 'a.xact_start IS NOT NULL');
const idleInTransactionSql = sessionsByAgeSql(
  'state_change',
  "a.state IN ('idle in transaction', 'idle in transaction (aborted)')",
);
const hiddenSql = `SELECT pg_catalog.count(*)::int AS n FROM pg_catalog.pg_stat_activity a
WHERE a.backend_type IS NULL AND a.usesysid IS NOT NULL`;

interface SessionsByAge {
  rows: SessionAge[];
  total: number;
  hidden: number;
}

async function sessionsByAge(ctx: CheckContext, sql: string): Promise<SessionsByAge> {
  const raw = (await ctx.client.query(sql, [ctx.options.detailRows])).rows;
  const rows = raw.map((r) => ({
    pid: num(r.pid),
    usename: (r.usename as string | null) ?? null,
    application_name: (r.application_name as string | null) ?? null,
    state: (r.state as string | null) ?? null,
    age_s: numOrNull(r.age_s),
  }));
  const hidden = ctx.readAllStats ? 0 : num((await ctx.client.query(hiddenSql)).rows[0].n);
  return { rows, total: raw.length ? num(raw[0].total) : 0, hidden };
}

function ageDetails(rows: SessionAge[]): HealthDetail[] {
  return rows.map((r) => ({
    pid: r.pid,
    user: r.usename,
    application: r.application_name,
    state: r.state,
    ageS: r.age_s === null ? null : Math.round(r.age_s),
  }));
}

/** Oldest first: the sessions over `limit` seconds, by pid, for a fix text. */
function pidsOver(rows: SessionAge[], limit: number | null): number[] {
  return rows.filter((r) => r.age_s !== null && limit !== null && r.age_s >= limit).map((r) => r.pid);
}

function terminateFix(pids: number[], what: string): string {
  const list = pids.length ? pids.join(', ') : '<pid>';
  return (
    `Find out why the application keeps ${what} open and fix it there; to end one now: ` +
    `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid IN (${list});`
  );
}

export async function checkLongTransactions(ctx: CheckContext): Promise<CheckOutcome> {
  const { rows, hidden } = await sessionsByAge(ctx, longTransactionsSql);
  const oldest = rows[0]?.age_s ?? 0;
  const outcome = judged(ctx.options, 'longTransactionS', oldest, 'seconds', {
    message:
      (rows.length
        ? `The oldest open transaction (pid ${rows[0].pid}, ${rows[0].state ?? '?'}) started ${formatSeconds(oldest)} ago: ` +
          'it holds back vacuum (dead rows stay) and may hold locks.'
        : 'No client session has a transaction open.') + hiddenSessionsNote(hidden),
    fix: terminateFix(pidsOver(rows, ctx.options.longTransactionS.warn), 'the transaction'),
    details: ageDetails(rows),
  });
  return hidden > 0 && outcome.status === 'ok' ? { ...outcome, status: 'unknown' } : outcome;
}

export async function checkIdleInTransaction(ctx: CheckContext): Promise<CheckOutcome> {
  const { rows, total, hidden } = await sessionsByAge(ctx, idleInTransactionSql);
  const timeout = (
    await ctx.client.query("SELECT pg_catalog.current_setting('idle_in_transaction_session_timeout') AS t")
  ).rows[0].t as string;
  const longest = rows[0]?.age_s ?? 0;
  const timeoutText =
    timeout === '0'
      ? 'idle_in_transaction_session_timeout is off'
      : `idle_in_transaction_session_timeout is ${timeout}`;
  const outcome = judged(ctx.options, 'idleInTransactionS', longest, 'seconds', {
    message:
      (rows.length
        ? `${total} session(s) idle in a transaction, ` +
          `the longest (pid ${rows[0].pid}) for ${formatSeconds(longest)}; ${timeoutText}.`
        : `No session is idle in a transaction; ${timeoutText}.`) + hiddenSessionsNote(hidden),
    fix:
      terminateFix(pidsOver(rows, ctx.options.idleInTransactionS.warn), 'a transaction') +
      (timeout === '0' ? " Consider ALTER SYSTEM SET idle_in_transaction_session_timeout = '10min'." : ''),
    details: ageDetails(rows),
  });
  return hidden > 0 && outcome.status === 'ok' ? { ...outcome, status: 'unknown' } : outcome;
}

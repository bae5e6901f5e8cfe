import { diagError } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { PgOpsError } from '../errors';
import { redactText } from '../redact';

export type BackendSignal = 'cancel' | 'terminate';

/** The session a signal would reach, as the caller may see it (other roles' details need pg_read_all_stats). */
export interface SignalTarget {
  pid: number;
  user: string | null;
  application: string | null;
  /** null when this role may not see it (another role's session without pg_read_all_stats): the server decides. */
  backendType: string | null;
  state: string | null;
  query: string | null;
}

const targetSql = `SELECT pg_catalog.pg_backend_pid() AS own_pid, pg_catalog.pg_is_in_recovery() AS in_recovery,
       a.pid, a.usename::text AS usename, a.application_name, a.backend_type, a.state, a.query
FROM (SELECT 1) one
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = $1::int4`;

const signalSql: Record<BackendSignal, string> = {
  cancel: 'SELECT pg_catalog.pg_cancel_backend($1::int4) AS sent',
  terminate: 'SELECT pg_catalog.pg_terminate_backend($1::int4) AS sent',
};

/** How a signal reads in a question, what it does, and how its success reads (CLI prompt, VS Code modal). */
export const signalWords: Record<BackendSignal, { question: string; effect: string; done: string }> = {
  cancel: {
    question: 'Cancel the running statement of',
    effect: 'The running statement is cancelled (its transaction, if any, is aborted); the session stays connected.',
    done: 'sent the cancel request to',
  },
  terminate: {
    question: 'Terminate the session',
    effect: 'The session ends and its open transaction rolls back; the client sees its connection closed.',
    done: 'terminated',
  },
};

/** A signal target in words: `PID 42 (alice, psql, idle in transaction)`, and its statement on one line. */
export function signalTargetText(t: SignalTarget): { who: string; statement: string | null } {
  return {
    who: `PID ${t.pid} (${t.user ?? '?'}${t.application ? `, ${t.application}` : ''}, ${t.state ?? 'state unknown'})`,
    statement: t.query ? t.query.replace(/\s+/g, ' ').slice(0, 200) : null,
  };
}

const doing: Record<BackendSignal, string> = { cancel: 'Cancelling the query of', terminate: 'Terminating' };

/** A pid as PostgreSQL has them: a positive int4. */
export function isBackendPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid <= 2 ** 31 - 1;
}

interface TargetRow {
  own_pid: number;
  in_recovery: boolean;
  pid: number | null;
  usename: string | null;
  application_name: string | null;
  backend_type: string | null;
  state: string | null;
  query: string | null;
}

async function readTarget(client: Queryable, pid: number): Promise<{ target: SignalTarget; inRecovery: boolean }> {
  if (!isBackendPid(pid))
    throw new PgOpsError('signal-pid', `"${pid}" is not a process id`, 'Give the pid of a session (pgops activity).');
  let row: TargetRow;
  try {
    row = (await client.query<TargetRow>(targetSql, [pid])).rows[0];
  } catch (err) {
    throw diagError(err, `Looking up PID ${pid} in pg_stat_activity`, 'pg_read_all_stats');
  }
  if (row.own_pid === pid)
    throw new PgOpsError(
      'signal-own',
      `PID ${pid} is this pgops session's own backend`,
      'pgops never cancels or terminates the connection it works through: choose another session.',
    );
  if (row.pid === null)
    throw new PgOpsError(
      'signal-not-backend',
      `PID ${pid} is not a backend of this server`,
      'It may have ended already: list the sessions again (pgops activity) and choose a pid from there.',
    );
  if (row.backend_type !== null && row.backend_type !== 'client backend')
    throw new PgOpsError(
      'signal-not-client',
      `PID ${pid} is a ${row.backend_type}, not a client backend`,
      'pgops cancels and terminates client sessions only; server processes are managed by the server itself.',
    );
  return {
    inRecovery: row.in_recovery,
    target: {
      pid,
      user: row.usename,
      application: row.application_name,
      backendType: row.backend_type,
      state: row.state,
      query: row.query === null ? null : redactText(row.query),
    },
  };
}

/**
 * The session `pid` names, checked the way cancelBackend and terminateBackend check it: a client backend of
 * this server and not the caller's own. Throws a PgOpsError naming the pid otherwise. For a confirmation prompt.
 */
export async function signalTarget(client: Queryable, pid: number): Promise<SignalTarget> {
  return (await readTarget(client, pid)).target;
}

/** pg_cancel_backend: cancels the running query of a client session. Returns whether the signal was sent. */
export function cancelBackend(client: Queryable, pid: number): Promise<boolean> {
  return signalBackend(client, pid, 'cancel');
}

/** pg_terminate_backend: ends a client session (its open transaction rolls back). Returns whether the signal was sent. */
export function terminateBackend(client: Queryable, pid: number): Promise<boolean> {
  return signalBackend(client, pid, 'terminate');
}

/**
 * Checks the target (signalTarget), then signals it in a transaction of its own, READ WRITE like every writing
 * action on the read-only diagnostic session (a standby accepts no READ WRITE; a signal writes nothing, so there
 * it runs in a plain one). The caller has confirmed with the user.
 */
export async function signalBackend(client: Queryable, pid: number, signal: BackendSignal): Promise<boolean> {
  const { target, inRecovery } = await readTarget(client, pid);
  try {
    await client.query(inRecovery ? 'BEGIN' : 'BEGIN READ WRITE');
    const sent = (await client.query<{ sent: boolean }>(signalSql[signal], [pid])).rows[0].sent;
    await client.query('COMMIT');
    return sent;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw signalError(err, target, signal);
  }
}

function signalError(err: unknown, target: SignalTarget, signal: BackendSignal): PgOpsError {
  const e = err as { code?: string; message?: string; detail?: string };
  if (e.code !== '42501') return diagError(err, `${doing[signal]} PID ${target.pid}`);
  const owner = target.user ? ` (${target.user})` : '';
  return new PgOpsError(
    'signal-denied',
    `${doing[signal]} PID ${target.pid}: the server refused (${e.message ?? 'permission denied'}${e.detail ? ` ${e.detail}` : ''})`,
    `Sign in as the role that owns PID ${target.pid}${owner}, or have an administrator run ` +
      "GRANT pg_signal_backend TO <your role>; only a superuser may signal a superuser's session.",
    { cause: err },
  );
}

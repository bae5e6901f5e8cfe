/**
 * Runs a fix that passed its checklist: VACUUM or REINDEX CONCURRENTLY in a session of its own, or pg_repack
 * as a child process. While it runs, a monitor on the diagnostic session reports its progress and its lock
 * waits in both directions (who the fix waits for, who waits for the fix). A cancel asks the server
 * (pg_cancel_backend) or pg_repack (SIGINT, so it cleans up after itself). Whatever the end, the table's
 * leftovers are looked for; after a success the table is measured again.
 */
import type { Client } from 'pg';
import { runProcess, withPgpass } from '../bench/processRunner';
import { measureBloat } from '../diag/bloatExact';
import { estimateBloat } from '../diag/bloat';
import type { Queryable } from '../diag/queryable';
import { num, numOrNull } from '../diag/queryable';
import { formatBytes } from '../diag/replication';
import { CancelledError, describeError, PgOpsError } from '../errors';
import { shellCommandLine } from '../shell';
import type { ActivitySession } from '../ops/activity';
import { readActivity } from '../ops/activity';
import { maintenanceOperations } from '../ops/progress';
import type { Leftover } from './leftovers';
import { findLeftovers } from './leftovers';
import type { FixPlan } from './plan';
import type { RepackPhase } from './repackTool';
import { repackOutcome, repackPhaseOf } from './repackTool';
import type { FixObject, FixSizes } from './target';
import { qualifiedName, readSizes } from './target';

/** A session on one side of a lock wait with the fix. */
export interface LockParty {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  /** How long it has waited (for a waiter) or how old its transaction is (for a blocker), seconds. */
  ageS: number | null;
  query: string | null;
  /** The lock it waits for, e.g. "AccessExclusiveLock on public.t". */
  lock: string | null;
}

export type FixEvent =
  | { type: 'started'; pid: number; what: 'session' | 'pg_repack' }
  | { type: 'phase'; phase: string }
  | { type: 'progress'; phase: string; percent: number | null; detail: string }
  | { type: 'locks'; waitsFor: LockParty[]; waitedBy: LockParty[] }
  | { type: 'output'; line: string };

export interface FixRunOptions {
  /** The diagnostic session: monitoring, cancel, the measurements before and after. */
  monitor: Queryable;
  serverVersionNum: number;
  /** Opens the session VACUUM or REINDEX runs in: writable, no statement timeout, lock_timeout as planned. */
  openFixSession?: () => Promise<Client>;
  /** pg_repack: the program, and the login whose password goes through a temporary pgpass file. */
  repack?: { program: string; login: { port: number; user: string; password?: string }; env?: NodeJS.ProcessEnv };
  signal?: AbortSignal;
  onEvent?: (e: FixEvent) => void;
  /** Monitor interval (default 1000 ms). */
  pollMs?: number;
}

export type FixStatus = 'done' | 'abandoned' | 'cancelled' | 'failed';

export interface BloatFigure {
  method: 'estimate' | 'pgstattuple_approx' | 'pgstattuple' | 'pgstatindex';
  bloatPct: number;
  wastedBytes: number;
}

export interface LockWaitSummary {
  /** Seconds the fix spent waiting for a lock (sampled at the monitor interval). */
  fixWaitedS: number;
  /** Sessions the fix waited for. */
  blockers: LockParty[];
  /** Sessions that waited for the fix, and the longest such wait seen. */
  waiters: number;
  longestWaiterS: number;
}

export interface FixOutcome {
  status: FixStatus;
  message: string;
  /** The statement or command line that ran. */
  ran: string;
  startedAt: string;
  durationMs: number;
  before: FixSizes;
  after: FixSizes | null;
  bloatBefore: BloatFigure | string;
  bloatAfter: BloatFigure | string | null;
  locks: LockWaitSummary;
  /** Leftovers on the table after the run (after anything but success they are expected). */
  leftovers: Leftover[];
  /** The last lines the fix printed (VACUUM VERBOSE, pg_repack). */
  output: string[];
}

/** What the Bloat view's figures would say for the relation: the exact measure when pgstattuple is there. */
async function measure(client: Queryable, o: FixObject, exact: boolean): Promise<BloatFigure | string> {
  const target = o.kind === 'index' ? await currentOid(client, o) : o.table.oid;
  if (target === null) return 'not measured: the relation is gone';
  if (exact) {
    try {
      const m = await measureBloat(client, target, o.kind);
      return { method: m.method, bloatPct: m.bloatPct, wastedBytes: m.wastedBytes };
    } catch (err) {
      if (!PgOpsError.is(err, 'pgstattuple-missing')) return `not measured: ${describeError(err)}`;
    }
  }
  try {
    const e = (await estimateBloat(client, 1, target))[0];
    return e
      ? { method: 'estimate', bloatPct: e.bloatPct, wastedBytes: e.wastedBytes }
      : 'not estimated: no statistics';
  } catch (err) {
    return `not estimated: ${describeError(err)}`;
  }
}

/** The index's oid now: REINDEX CONCURRENTLY gives the rebuilt index a new one under the old name. */
async function currentOid(client: Queryable, o: FixObject): Promise<number | null> {
  const r = await client.query('SELECT pg_catalog.to_regclass($1)::oid::int8 AS oid', [qualifiedName(o)]);
  return numOrNull(r.rows[0]?.oid);
}

function party(s: ActivitySession | undefined, pid: number, ageS: number | null): LockParty {
  const w = s?.waitingFor;
  return {
    pid,
    user: s?.user ?? null,
    application: s?.application ?? null,
    state: pid === 0 ? 'prepared transaction' : (s?.state ?? null),
    ageS,
    query: s?.query ?? null,
    lock: w ? `${w.mode} on ${w.relation ?? (w.transactionId ? `transaction ${w.transactionId}` : w.locktype)}` : null,
  };
}

/** What the monitor reports of the fix's progress at a tick. */
type FixProgress = { phase: string; percent: number | null; detail: string };

/** How a run ended, before the measurements after it. */
type RunResult = { status: FixStatus; message: string; ran: string };

/** The monitor: every interval, the fix's lock waits and its progress. */
class FixMonitor {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  readonly summary: LockWaitSummary = { fixWaitedS: 0, blockers: [], waiters: 0, longestWaiterS: 0 };
  private readonly waiterPids = new Set<number>();

  constructor(
    private readonly o: FixOptionsForMonitor,
    private readonly fixPids: (sessions: ActivitySession[]) => number[],
    private readonly progress: (pids: number[]) => Promise<FixProgress | null>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.pollMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const snap = await readActivity(this.o.monitor, this.o.serverVersionNum);
      const byPid = new Map(snap.sessions.map((s) => [s.pid, s]));
      const pids = this.fixPids(snap.sessions);
      const mine = new Set(pids);
      const waitsFor: LockParty[] = [];
      // a tick counts once however many of the fix's sessions (pg_repack has two) wait
      if (pids.some((pid) => (byPid.get(pid)?.blockedBy.length ?? 0) > 0))
        this.summary.fixWaitedS += this.o.pollMs / 1000;
      for (const pid of pids) {
        const s = byPid.get(pid);
        if (!s || s.blockedBy.length === 0) continue;
        for (const b of s.blockedBy.filter((x) => !mine.has(x))) {
          const blocker = byPid.get(b);
          const p = party(blocker, b, blocker?.xactAgeS ?? null);
          waitsFor.push(p);
          if (!this.summary.blockers.some((x) => x.pid === b)) this.summary.blockers.push(p);
        }
      }
      const waitedBy = snap.sessions
        .filter((s) => !mine.has(s.pid) && s.blockedBy.some((b) => mine.has(b)))
        .map((s) => party(s, s.pid, s.queryAgeS));
      for (const w of waitedBy) {
        this.waiterPids.add(w.pid);
        this.summary.longestWaiterS = Math.max(this.summary.longestWaiterS, w.ageS ?? 0);
      }
      this.summary.waiters = this.waiterPids.size;
      this.o.onEvent?.({ type: 'locks', waitsFor, waitedBy });
      const p = await this.progress(pids);
      if (p) this.o.onEvent?.({ type: 'progress', ...p });
    } catch (err) {
      this.o.onEvent?.({ type: 'output', line: `pgops: monitor: ${describeError(err)}` });
    } finally {
      this.busy = false;
    }
  }
}

type FixOptionsForMonitor = Required<Pick<FixRunOptions, 'monitor' | 'serverVersionNum' | 'pollMs'>> &
  Pick<FixRunOptions, 'onEvent'>;

/** The last lines of output, kept for the summary. */
function keepLast(lines: string[], line: string, max = 40): void {
  lines.push(line);
  if (lines.length > max) lines.shift();
}

export async function runFix(o: FixObject, plan: FixPlan, opts: FixRunOptions): Promise<FixOutcome> {
  const started = new Date();
  const monitorOpts: FixOptionsForMonitor = {
    monitor: opts.monitor,
    serverVersionNum: opts.serverVersionNum,
    pollMs: opts.pollMs ?? 1000,
    onEvent: opts.onEvent,
  };
  const before = await readSizes(opts.monitor, o);
  const bloatBefore = await measure(opts.monitor, o, false);
  const output: string[] = [];
  const { result, locks } = plan.sql
    ? await runStatement(plan, opts, monitorOpts, output)
    : await runRepack(o, plan, opts, monitorOpts, output);
  const leftovers = await findLeftovers(opts.monitor, o.table.oid).catch(() => []);
  const done = result.status === 'done';
  return {
    ...result,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    before,
    after: done ? await readSizes(opts.monitor, o) : null,
    bloatBefore,
    bloatAfter: done ? await measure(opts.monitor, o, true) : null,
    locks,
    leftovers,
    output,
  };
}

async function runStatement(
  plan: FixPlan,
  opts: FixRunOptions,
  monitorOpts: FixOptionsForMonitor,
  output: string[],
): Promise<{ result: RunResult; locks: LockWaitSummary }> {
  const sql = plan.sql;
  if (!sql || !opts.openFixSession) throw new Error('runStatement needs a statement and a session opener');
  const ran = sql.statement;
  const emit = opts.onEvent ?? (() => undefined);
  const session = await opts.openFixSession();
  session.on('error', () => undefined);
  session.on('notice', (n) => {
    const line = `${n.severity ?? 'NOTICE'}: ${n.message}`;
    keepLast(output, line);
    emit({ type: 'output', line });
  });
  const pid = num((await session.query<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid')).rows[0].pid);
  emit({ type: 'started', pid, what: 'session' });
  const monitor = new FixMonitor(
    monitorOpts,
    () => [pid],
    async () => {
      const op = (await maintenanceOperations(opts.monitor)).find((p) => p.pid === pid);
      if (!op) return null;
      const counted = op.total ? `${op.done ?? 0} of ${op.total} ${op.unit}` : op.phase;
      return { phase: op.phase, percent: op.percent, detail: `${op.command}: ${counted}` };
    },
  );
  let cancelSent = false;
  const onAbort = () => {
    cancelSent = true;
    void opts.monitor.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]).catch(() => undefined);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  monitor.start();
  let result: RunResult;
  try {
    if (opts.signal?.aborted) throw new CancelledError();
    for (const s of sql.settings) await session.query(s);
    emit({ type: 'phase', phase: 'running' });
    await session.query(ran);
    result = { status: 'done', message: `${ran} finished`, ran };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (CancelledError.is(err) || (e.code === '57014' && cancelSent))
      result = { status: 'cancelled', message: `${ran} cancelled (pg_cancel_backend)`, ran };
    else if (e.code === '55P03')
      result = {
        status: 'abandoned',
        message: `${ran} gave up: it waited longer than lock_timeout (${plan.request.lockTimeoutS} s) for a lock (${e.message})`,
        ran,
      };
    else result = { status: 'failed', message: `${ran} failed: ${e.message ?? String(err)}`, ran };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await monitor.stop();
    await session.end().catch(() => undefined);
  }
  return { result, locks: monitor.summary };
}

/** pg_repack's copy while it is written: the relation its backend created and holds, not yet visible to others. */
const copyBytesSql = `SELECT l.relation::int8 AS rel, d.oid::int8 AS db,
  (SELECT pg_catalog.sum((pg_catalog.pg_stat_file(pg_catalog.format('base/%s/%s%s', d.oid, l.relation,
            CASE WHEN s.n = 0 THEN '' ELSE '.' || s.n END), true)).size)
   FROM pg_catalog.generate_series(0, $2::int) s(n))::float8 AS bytes
FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_database d ON d.oid = l.database
WHERE l.pid = ANY($1::int[]) AND l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock'
  AND d.datname = pg_catalog.current_database()
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = l.relation)
ORDER BY l.relation
LIMIT 1`;

async function repackProgress(
  monitor: Queryable,
  o: FixObject,
  phase: RepackPhase,
  pids: number[],
): Promise<FixProgress | null> {
  if (phase === 'copying' && o.kind === 'table' && o.tablespace.name === 'pg_default') {
    // 1 GB segments: the file and as many more as the table has
    const segments = Math.ceil(o.tableBytes / 2 ** 30) + 1;
    const r = (
      await monitor.query(copyBytesSql, [pids, segments]).catch(() => ({ rows: [] as Record<string, unknown>[] }))
    ).rows[0];
    const bytes = numOrNull(r?.bytes);
    if (bytes === null)
      return { phase, percent: null, detail: 'copying the rows (the size of the copy needs pg_stat_file: superuser)' };
    const pct = o.tableBytes > 0 ? Math.min(99, Math.round((1000 * bytes) / o.tableBytes) / 10) : null;
    return { phase, percent: pct, detail: `copied ${formatBytes(bytes)} of about ${formatBytes(o.tableBytes)}` };
  }
  if (phase === 'applying changes' || phase === 'copying' || phase === 'indexing') {
    const log = `log_${o.table.oid}`;
    const exists = (
      await monitor.query<{ e: boolean }>("SELECT pg_catalog.to_regclass('repack.' || $1) IS NOT NULL AS e", [log])
    ).rows[0]?.e;
    if (!exists) return null;
    const r = (
      await monitor.query(`SELECT pg_catalog.count(*)::int8 AS n FROM (SELECT 1 FROM repack.${log} LIMIT 1000000) x`)
    ).rows[0];
    const n = num(r?.n);
    return {
      phase,
      percent: null,
      detail: `${n >= 1_000_000 ? 'over 1000000' : n} change${n === 1 ? '' : 's'} in the log waiting to be applied`,
    };
  }
  return null;
}

async function runRepack(
  o: FixObject,
  plan: FixPlan,
  opts: FixRunOptions,
  monitorOpts: FixOptionsForMonitor,
  output: string[],
): Promise<{ result: RunResult; locks: LockWaitSummary }> {
  const repack = opts.repack;
  const args = plan.repack?.args;
  if (!repack || !args) throw new Error('runRepack needs pg_repack and its arguments');
  const ran = shellCommandLine([repack.program, ...args]);
  const emit = opts.onEvent ?? (() => undefined);
  // pg_repack's own sessions are those named pg_repack in this database that were not there before it started
  const database = args.find((a) => a.startsWith('--dbname='))?.slice('--dbname='.length);
  const already = new Set(
    (await readActivity(opts.monitor, opts.serverVersionNum, { includeIdle: true })).sessions
      .filter((s) => s.application === 'pg_repack')
      .map((s) => s.pid),
  );
  let phase: RepackPhase = 'starting';
  const monitor = new FixMonitor(
    monitorOpts,
    (sessions) =>
      sessions
        .filter((s) => s.application === 'pg_repack' && s.database === database && !already.has(s.pid))
        .map((s) => s.pid),
    (pids) => (pids.length ? repackProgress(opts.monitor, o, phase, pids) : Promise.resolve(null)),
  );
  // pg_repack prints its own cleanup after a SIGINT: the phase it was stopped in is the one at the cancel
  let cancelledIn: RepackPhase | undefined;
  const onAbort = () => {
    cancelledIn ??= phase;
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  monitor.start();
  let all = '';
  let result: RunResult;
  try {
    const r = await withPgpass(
      repack.login,
      (env) =>
        runProcess(
          { program: repack.program, args },
          {
            env: { ...env, PGAPPNAME: 'pg_repack' },
            signal: opts.signal,
            killAfterMs: 30_000,
            onSpawn: (pid) => emit({ type: 'started', pid, what: 'pg_repack' }),
            onStderrLine: (line) => {
              all += `${line}\n`;
              const p = repackPhaseOf(line);
              if (p && p !== phase) {
                phase = p;
                emit({ type: 'phase', phase: p });
              }
              if (!line.startsWith('LOG: ') && !/^\s+\(param/.test(line)) {
                keepLast(output, line);
                emit({ type: 'output', line });
              }
            },
          },
        ),
      repack.env,
    );
    if (r.signal) {
      result = { status: 'failed', message: `pg_repack was killed (${r.signal}) in phase "${phase}"`, ran };
    } else {
      const outcome = repackOutcome(all + r.stdout, r.exitCode);
      const status = outcome.ok ? 'done' : outcome.abandoned ? 'abandoned' : 'failed';
      result = { status, message: outcome.message, ran };
    }
  } catch (err) {
    result = CancelledError.is(err)
      ? { status: 'cancelled', message: `pg_repack stopped by SIGINT in phase "${cancelledIn ?? phase}"`, ran }
      : { status: 'failed', message: `pg_repack could not run: ${describeError(err)}`, ran };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await monitor.stop();
  }
  return { result, locks: monitor.summary };
}

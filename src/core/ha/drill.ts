import * as crypto from 'node:crypto';
import type { HostShell } from '../bench/hostShell';
import { CancelledError, describeError, PgOpsError } from '../errors';
import { failover, switchover, switchoverCandidates } from './actions';
import type { ClusterState } from './cluster';
import { loadCluster } from './cluster';
import type { DrillMeasures } from './drillMeasure';
import { measureDrill } from './drillMeasure';
import type { PatroniEndpoint } from './patroniRest';
import type { DrillTable, WriterLog, WriterSession } from './probeWriter';
import { defaultDrillTable, drillTableSql, pause, runProbeWriter } from './probeWriter';

/**
 * A failover drill: the probe writer runs like an application while pgops triggers a switchover or a
 * failover, then reads the drill table back from the new leader and reports what the application saw —
 * the write gap, the reconnection, the acknowledged writes the new leader lacks (lost), the new leader
 * and timeline.
 */

export type DrillEvent = 'switchover' | 'failover';
/** How a failover is caused: Patroni's POST /failover, or (test clusters only) SIGKILL of the leader's postmaster or of its Patroni and postmaster. */
export type FailoverMethod = 'rest' | 'kill-postmaster' | 'kill-node';

export interface DrillPlan {
  event: DrillEvent;
  method: FailoverMethod;
  candidate?: string;
  durationMs: number;
  intervalMs: number;
  /** When the event is triggered, ms after the writer started. */
  eventAtMs: number;
  /** How long to wait for a running leader after the event before giving up on the measure. */
  settleTimeoutMs: number;
  table: DrillTable;
  /** Leave the drill's rows in the table (they are deleted otherwise), to check the count by hand. */
  keepRows?: boolean;
}

export const defaultDrillPlan: Omit<DrillPlan, 'event' | 'method'> = {
  durationMs: 20_000,
  intervalMs: 100,
  eventAtMs: 3_000,
  settleTimeoutMs: 60_000,
  table: defaultDrillTable,
};

export interface DrillDeps {
  endpoint: PatroniEndpoint;
  /** A read-write session the way the application connects (multi-host, target_session_attrs=read-write). */
  openWriter: () => Promise<WriterSession>;
  /** Runs commands on the leader's host for the kill methods (this machine or SSH). */
  leaderShell?: (leader: { host: string; port: number }) => Promise<HostShell>;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

export interface DrillOutcome {
  plan: DrillPlan;
  runId: string;
  scope?: string;
  startedAt: string;
  finishedAt: string;
  before: ClusterState;
  after?: ClusterState;
  leaderBefore: string;
  leaderAfter?: string;
  timelineBefore?: number;
  timelineAfter?: number;
  candidate?: string;
  eventStartMs: number;
  eventEndMs: number;
  /** Patroni's answer, or what was killed. */
  eventResult: string;
  /** ms after the event started when a running leader was seen, if it was. */
  settledMs?: number;
  measures: DrillMeasures;
  log: WriterLog;
  notes: string[];
}

/** The timeline a primary writes on, from its current WAL file name (13–18; Patroni's /cluster may lag a loop). */
const timelineSql = `SELECT ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tl`;

async function timelineOf(client: WriterSession['client']): Promise<number> {
  return (await client.query<{ tl: number }>(timelineSql)).rows[0].tl;
}

const caughtUpSql = `SELECT r.application_name, r.replay_lsn IS NOT NULL AND r.replay_lsn >= $1::pg_catalog.pg_lsn AS caught
FROM pg_catalog.pg_stat_replication r`;

/**
 * Waits until every running replica has replayed the drill table's creation: a drill that starts while one is
 * still catching up (or not streaming) measures that, not the failover — and its new leader may lack the table.
 */
async function waitForReplicas(
  client: WriterSession['client'],
  before: ClusterState,
  timeoutMs: number,
): Promise<void> {
  const lsn = (await client.query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  const replicas = before.members.filter((m) => m.name !== before.leader && m.state === 'running').map((m) => m.name);
  const until = Date.now() + timeoutMs;
  let behind = replicas;
  while (behind.length > 0) {
    const rows = (await client.query<{ application_name: string; caught: boolean }>(caughtUpSql, [lsn])).rows;
    behind = replicas.filter((name) => !rows.some((r) => r.application_name === name && r.caught));
    if (behind.length === 0) return;
    if (Date.now() > until)
      throw new PgOpsError(
        'drill-replicas',
        `Replica${behind.length > 1 ? 's' : ''} ${behind.join(', ')} did not replay the drill table within ${timeoutMs / 1000} s`,
        "A drill starts only when every running replica streams from the leader; see pgops cluster status (the leader's " +
          'pg_stat_replication needs a superuser or pg_monitor to show replay positions).',
      );
    await pause(200);
  }
}

function leaderTimeline(s: ClusterState): number | undefined {
  return s.members.find((m) => m.name === s.leader)?.timeline;
}

/** The PID of the process listening on a TCP port of that host (`ss`, from iproute2; root sees every user's). */
async function listenerPid(shell: HostShell, port: number): Promise<string | undefined> {
  const line = await shell.run('ss', ['-Hltnp', `sport = :${port}`]);
  return /pid=(\d+)/.exec(line)?.[1];
}

/**
 * SIGKILL of the leader's postmaster (its PID from postmaster.pid), and for a crashed node first of the Patroni
 * that serves the leader's REST port (Patroni detaches PostgreSQL, so it is not the postmaster's parent).
 */
export async function killLeader(
  shell: HostShell,
  leader: { dataDir: string; restPort?: number },
  how: 'kill-postmaster' | 'kill-node',
): Promise<string> {
  const pidText = (await shell.run('head', ['-n', '1', `${leader.dataDir}/postmaster.pid`])).trim();
  if (!/^\d+$/.test(pidText))
    throw new PgOpsError(
      'drill-kill',
      `${leader.dataDir}/postmaster.pid on ${shell.where} names no process`,
      'Is the leader running there?',
    );
  const killed: string[] = [];
  if (how === 'kill-node') {
    const patroni = leader.restPort ? await listenerPid(shell, leader.restPort) : undefined;
    const args = patroni ? (await shell.run('ps', ['-o', 'args=', '-p', patroni])).trim() : '';
    if (!patroni || !/patroni/.test(args))
      throw new PgOpsError(
        'drill-kill',
        `No Patroni process found on ${shell.where} behind the leader's REST port ${leader.restPort ?? '(unknown)'}` +
          (args ? ` (it is "${args.slice(0, 80)}")` : ''),
        'Kill the node where Patroni runs, as a user who may see its process (root), or use --kill postmaster.',
      );
    await shell.run('kill', ['-KILL', patroni]);
    killed.push(`Patroni (PID ${patroni})`);
  }
  await shell.run('kill', ['-KILL', pidText]);
  killed.push(`postmaster (PID ${pidText})`);
  return `SIGKILL ${killed.join(' and ')} on ${shell.where}`;
}

async function waitForLeader(
  deps: DrillDeps,
  notOld: string | undefined,
  timeoutMs: number,
): Promise<ClusterState | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !deps.signal?.aborted) {
    try {
      const s = await loadCluster(deps.endpoint, deps.signal);
      const leader = s.members.find((m) => m.name === s.leader);
      if (leader && leader.state === 'running' && leader.name !== notOld) return s;
    } catch (err) {
      if (CancelledError.is(err)) throw err;
    }
    await pause(250, deps.signal);
  }
  return undefined;
}

/** Runs one drill. Refuses before writing anything when the cluster has no leader or the event cannot happen. */
export async function runDrill(plan: DrillPlan, deps: DrillDeps): Promise<DrillOutcome> {
  const say = deps.progress ?? (() => undefined);
  const before = await loadCluster(deps.endpoint, deps.signal);
  const leaderBefore = before.leader;
  if (!leaderBefore)
    throw new PgOpsError(
      'drill-no-leader',
      'The cluster has no leader, so there is nothing to drill',
      'Fix the cluster first: pgops cluster status.',
    );
  let candidate = plan.candidate;
  const needsCandidate = plan.event === 'switchover' || plan.method === 'rest';
  if (needsCandidate && !candidate) candidate = switchoverCandidates(before)[0];
  if (needsCandidate && !candidate)
    throw new PgOpsError(
      'drill-candidate',
      'No member can take over: no running replica without nofailover',
      'Check pgops cluster status.',
    );
  if (
    plan.event === 'failover' &&
    before.config.synchronousMode &&
    !before.members.some((m) => m.role === 'sync_standby')
  )
    throw new PgOpsError(
      'drill-candidate',
      'synchronous_mode is on and no member is a sync standby: Patroni would promote nobody',
      'Wait until pgops cluster status shows a sync_standby, then run the drill.',
    );
  const leader = before.members.find((m) => m.name === leaderBefore)!;
  const runId = `${new Date().toISOString()}-${crypto.randomBytes(3).toString('hex')}`;
  const sql = drillTableSql(plan.table);

  // the writer's first session: creates the table and learns where the leader keeps its data (for the kill methods)
  const setup = await deps.openWriter();
  let timelineBefore: number | undefined;
  let timelineAfter: number | undefined;
  let dataDir: string | undefined;
  try {
    await setup.client.query(sql.create);
    await waitForReplicas(setup.client, before, 30_000);
    timelineBefore = await timelineOf(setup.client);
    if (plan.method !== 'rest' && plan.event === 'failover') {
      try {
        dataDir = (await setup.client.query<{ d: string }>("SELECT pg_catalog.current_setting('data_directory') AS d"))
          .rows[0].d;
      } catch (err) {
        throw new PgOpsError(
          'drill-kill',
          `Cannot read the leader's data_directory: ${describeError(err)}`,
          'The kill methods need a superuser (or pg_read_all_settings) in the connection.',
        );
      }
    }
  } finally {
    await setup.client.end().catch(() => undefined);
  }
  const shell = dataDir && deps.leaderShell ? await deps.leaderShell(leader) : undefined;
  if (dataDir && !shell)
    throw new PgOpsError(
      'drill-kill',
      `No way to run commands on the leader's host ${leader.host}`,
      'Give --ssh for a remote leader.',
    );

  const started = new Date();
  const t0 = performance.now();
  const now = (): number => Math.round(performance.now() - t0);
  // the writer runs until the event is over and the cluster writable again; only then does the duration count
  let stopAt = Number.POSITIVE_INFINITY;
  const log: WriterLog = { writes: [], connects: [], firstErrors: {} };
  const writer = runProbeWriter(
    {
      open: deps.openWriter,
      table: plan.table,
      runId,
      intervalMs: plan.intervalMs,
      now,
      keepGoing: () => now() < stopAt,
      signal: deps.signal,
    },
    log,
  );
  const notes: string[] = [];
  let eventResult = '';
  let eventStartMs = 0;
  let eventEndMs = 0;
  let settled: ClusterState | undefined;
  let settledMs: number | undefined;
  try {
    await pause(plan.eventAtMs - now(), deps.signal);
    if (deps.signal?.aborted) throw new CancelledError();
    eventStartMs = now();
    say(
      `${plan.event} (${plan.event === 'failover' ? plan.method : 'rest'}) at ${eventStartMs} ms; leader ${leaderBefore}` +
        (candidate ? `, candidate ${candidate}` : ''),
    );
    if (plan.event === 'switchover') eventResult = (await switchover(deps.endpoint, before, { candidate })).message;
    else if (plan.method === 'rest') eventResult = (await failover(deps.endpoint, before, candidate!)).message;
    else {
      const api = leader.apiUrl ? new URL(leader.apiUrl) : undefined;
      const restPort = api ? Number(api.port || (api.protocol === 'https:' ? 443 : 80)) : undefined;
      eventResult = await killLeader(shell!, { dataDir: dataDir!, restPort }, plan.method);
    }
    eventEndMs = now();
    say(eventResult);
    const expectNew = plan.method !== 'kill-postmaster' || plan.event === 'switchover';
    settled = await waitForLeader(deps, expectNew ? leaderBefore : undefined, plan.settleTimeoutMs);
    if (settled) {
      settledMs = now() - eventStartMs;
      say(`leader ${settled.leader} after ${settledMs} ms`);
    } else notes.push(`No running ${expectNew ? 'new ' : ''}leader within ${plan.settleTimeoutMs} ms of the event.`);
    // write on until the end, and at least until one write after the leader is back is acknowledged
    const back = now();
    const until = back + plan.settleTimeoutMs;
    while (!log.writes.some((w) => w.ackMs !== undefined && w.ackMs > back) && now() < until && !deps.signal?.aborted)
      await pause(100, deps.signal);
    stopAt = Math.max(plan.durationMs, now() + 500);
  } catch (err) {
    stopAt = 0;
    await writer.catch(() => undefined);
    throw err;
  } finally {
    await shell?.close().catch(() => undefined);
  }
  await writer;

  const after = await loadCluster(deps.endpoint, deps.signal).catch((err) => {
    notes.push(`Cluster state after the drill not read: ${describeError(err)}`);
    return settled;
  });
  const present = new Set<number>();
  const reader = await deps.openWriter();
  try {
    for (const r of (await reader.client.query<{ seq: string }>(sql.readBack, [runId])).rows)
      present.add(Number(r.seq));
    if (!plan.keepRows) await reader.client.query(sql.cleanup, [runId]);
    timelineAfter = await timelineOf(reader.client);
  } finally {
    await reader.client.end().catch(() => undefined);
  }
  const measures = measureDrill(log, present, eventStartMs);
  return {
    plan: { ...plan, candidate },
    runId,
    scope: before.scope ?? after?.scope,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    before,
    after,
    leaderBefore,
    leaderAfter: after?.leader,
    timelineBefore: timelineBefore ?? leaderTimeline(before),
    timelineAfter: timelineAfter ?? (after ? leaderTimeline(after) : undefined),
    candidate,
    eventStartMs,
    eventEndMs,
    eventResult,
    settledMs,
    measures,
    log,
    notes,
  };
}

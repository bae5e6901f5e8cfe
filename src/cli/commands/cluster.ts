import { listStandbys } from '../../core/diag/replication';
import {
  reloadMember,
  restartMember,
  setPaused,
  switchover,
  failover,
  switchoverCandidates,
} from '../../core/ha/actions';
import type { ClusterState } from '../../core/ha/cluster';
import { loadCluster } from '../../core/ha/cluster';
import type { ClusterWarning, ReplicaOnLeader } from '../../core/ha/clusterHealth';
import { clusterWarnings, replicasOnLeader, unreachableMembers } from '../../core/ha/clusterHealth';
import { describeError } from '../../core/errors';
import type { CliCommand, CliIo } from '../command';
import { parseFlags, requireFlag, UsageError } from '../command';
import { connFlags, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';
import { confirmOnCluster, patroniEndpointFromFlags, patroniFlags, patroniFlagsUsage } from '../patroni';

const actions = ['status', 'switchover', 'failover', 'restart', 'reload', 'pause', 'resume'] as const;
type Action = (typeof actions)[number];

const options = {
  ...patroniFlags,
  ...connFlags,
  candidate: { type: 'string' },
  member: { type: 'string' },
  scheduled: { type: 'string' },
  scope: { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** The leader's view of its replicas, when --conn reaches the leader; a note otherwise. */
async function leaderCrossCheck(
  values: Parameters<typeof openCliSessionFrom>[0],
  io: CliIo,
): Promise<{ onLeader?: Map<string, ReplicaOnLeader>; note?: string }> {
  const { client } = await openCliSessionFrom(values, io, { applicationName: 'pgops (cluster status)' });
  try {
    const standby = (await client.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r')).rows[0].r;
    if (standby)
      return {
        note: '--conn reached a replica: pg_stat_replication is read on the leader; add target_session_attrs=read-write',
      };
    return { onLeader: replicasOnLeader(await listStandbys(client)) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const mb = (bytes: number | undefined) => (bytes === undefined ? null : Math.round((bytes / 1048576) * 10) / 10);

function statusText(s: ClusterState, warnings: ClusterWarning[], onLeader?: Map<string, ReplicaOnLeader>): string {
  const rows = s.members.map((m) => {
    const seen = onLeader?.get(m.name);
    const tags = Object.entries(m.tags)
      .filter(([, v]) => v === true)
      .map(([k]) => k)
      .join(',');
    return [
      m.name,
      `${m.host}:${m.port}`,
      m.role,
      m.state,
      m.timeline ?? null,
      mb(m.lagBytes),
      seen?.replayLagMs === null || seen?.replayLagMs === undefined ? null : Math.round(seen.replayLagMs),
      m.pendingRestart ? '*' : '',
      tags,
    ];
  });
  const head = [
    `Cluster: ${s.scope ?? '(scope not reported)'}${s.paused ? ' (paused: maintenance mode)' : ''}` +
      `${s.config.synchronousMode ? ', synchronous_mode on' : ''}`,
  ];
  if (s.scheduledSwitchover)
    head.push(
      `Scheduled switchover at ${s.scheduledSwitchover.at} from ${s.scheduledSwitchover.from ?? 'the leader'} to ${s.scheduledSwitchover.to ?? 'any'}`,
    );
  const table = formatTable(
    ['Member', 'Host', 'Role', 'State', 'TL', 'Lag in MB', 'Replay lag ms', 'Pending restart', 'Tags'],
    rows,
  );
  const warn = warnings.map((w) => `${w.level}: ${w.message}`);
  const last = s.history.at(-1);
  const hist = last
    ? [`Last timeline switch: ${last.timeline} at ${last.at ?? '?'} (${last.reason || 'no reason given'})`]
    : [];
  return [...head, table, ...hist, ...warn].join('\n');
}

export const clusterCommand: CliCommand = {
  name: 'cluster',
  summary: "a Patroni cluster's members, lag and warnings; switchover, failover, restart, reload, pause (REST API)",
  actions,
  usage:
    'pgops cluster status|switchover|failover|restart|reload|pause|resume --patroni URL[,URL] [options]\n' +
    "  status      members (patronictl list's columns), history, pause, scheduled switchover, warnings; with --conn on\n" +
    "              the leader also each replica's replay lag from its pg_stat_replication. --json: {scope, members:\n" +
    '              [{name, role, state, host, port, timeline, lagBytes}], leader, paused, synchronousMode, warnings}\n' +
    '  switchover  [--candidate NAME] [--scheduled ISO-TIME]   a planned change of leader (POST /switchover)\n' +
    '  failover    --candidate NAME   promote NAME even without a healthy leader (POST /failover)\n' +
    "  restart|reload --member NAME   restart or reload one member's PostgreSQL\n" +
    '  pause|resume   maintenance mode on or off (PATCH /config)\n' +
    '  --yes        confirm without asking; --scope NAME confirms by the typed scope name, as production needs\n' +
    patroniFlagsUsage +
    "  --conn C ... the libpq connection for status's cross-check (psql's -h -p -U -d too)\n" +
    '  Exit 1 when no member answers, Patroni refuses (HTTP 401: set the credentials), or an action fails.',
  options,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, options, true);
    const action = positionals[0] as Action | undefined;
    if (!action || !actions.includes(action)) throw new UsageError(`cluster needs one of: ${actions.join(', ')}`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const endpoint = patroniEndpointFromFlags(values, io);
    const state = await loadCluster(endpoint);
    if (action === 'status') {
      const unreachable = await unreachableMembers(endpoint, state);
      let cross: Awaited<ReturnType<typeof leaderCrossCheck>> = {};
      if (values.conn || values.host || values.dbname)
        cross = await leaderCrossCheck(values, io).catch((err: unknown) => ({
          note: `pg_stat_replication not read: ${describeError(err)}`,
        }));
      if (cross.note) io.err(cross.note);
      const warnings = clusterWarnings(state, { unreachable, onLeader: cross.onLeader });
      if (values.json) {
        io.out(
          JSON.stringify(
            {
              scope: state.scope ?? null,
              leader: state.leader ?? null,
              paused: state.paused,
              synchronousMode: state.config.synchronousMode,
              scheduledSwitchover: state.scheduledSwitchover ?? null,
              members: state.members.map((m) => ({
                name: m.name,
                role: m.role,
                state: m.state,
                host: m.host,
                port: m.port,
                timeline: m.timeline ?? null,
                lagBytes: m.lagBytes ?? null,
                pendingRestart: m.pendingRestart,
                tags: m.tags,
                replayLagMs: cross.onLeader?.get(m.name)?.replayLagMs ?? null,
                reachable: !unreachable.includes(m.name),
              })),
              history: state.history,
              warnings,
            },
            null,
            2,
          ),
        );
      } else io.out(statusText(state, warnings, cross.onLeader));
      return warnings.some((w) => w.level === 'error') ? 1 : 0;
    }
    const member = action === 'restart' || action === 'reload' ? requireFlag(values.member, 'member') : undefined;
    const target =
      action === 'switchover'
        ? `switch over ${state.scope ?? 'the cluster'} from ${state.leader ?? '?'} ` +
          `to ${values.candidate ?? switchoverCandidates(state)[0] ?? '?'}${values.scheduled ? ` at ${values.scheduled}` : ''}`
        : action === 'failover'
          ? `fail over ${state.scope ?? 'the cluster'} to ${requireFlag(values.candidate, 'candidate')}`
          : action === 'pause' || action === 'resume'
            ? `${action} ${state.scope ?? 'the cluster'}`
            : `${action} ${member} of ${state.scope ?? 'the cluster'}`;
    const ok = await confirmOnCluster(io, {
      question: target.charAt(0).toUpperCase() + target.slice(1),
      scope: state.scope,
      typedScope: values.scope,
      needsTypedScope: values.scope !== undefined,
      yes: values.yes,
    });
    if (!ok) {
      io.err(`pgops cluster ${action}: not confirmed; nothing sent`);
      return 1;
    }
    const result =
      action === 'switchover'
        ? await switchover(endpoint, state, { candidate: values.candidate, scheduledAt: values.scheduled })
        : action === 'failover'
          ? await failover(endpoint, state, values.candidate!)
          : action === 'restart'
            ? await restartMember(endpoint, state, member!)
            : action === 'reload'
              ? await reloadMember(endpoint, state, member!)
              : await setPaused(endpoint, action === 'pause');
    io.out(result.message || `HTTP ${result.status}`);
    return 0;
  },
};

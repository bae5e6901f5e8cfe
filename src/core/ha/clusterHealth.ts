import type { Standby } from '../diag/replication';
import { formatBytes } from '../diag/replication';
import { PgOpsError } from '../errors';
import type { ClusterMember, ClusterState } from './cluster';
import { memberBase } from './cluster';
import type { PatroniEndpoint } from './patroniRest';
import { restRequest } from './patroniRest';

export interface ClusterWarning {
  level: 'error' | 'warning' | 'info';
  member?: string;
  message: string;
}

/** What the leader's pg_stat_replication says of a replica (matched by application_name, which Patroni sets to the member name). */
export interface ReplicaOnLeader {
  state: string | null;
  syncState: string | null;
  replayLagBytes: number | null;
  replayLagMs: number | null;
}

/** The members whose own REST API does not answer GET /patroni within the endpoint's timeout. */
export async function unreachableMembers(
  endpoint: PatroniEndpoint,
  state: ClusterState,
  signal?: AbortSignal,
): Promise<string[]> {
  const down = await Promise.all(
    state.members.map(async (m) => {
      const base = memberBase(m);
      if (!base) return m.name;
      try {
        await restRequest(
          { ...endpoint, timeoutMs: Math.min(endpoint.timeoutMs ?? 2000, 2000) },
          base,
          'GET',
          'patroni',
          undefined,
          signal,
        );
        return undefined;
      } catch (err) {
        if (PgOpsError.is(err, 'patroni-unreachable')) return m.name;
        throw err;
      }
    }),
  );
  return down.filter((n): n is string => !!n);
}

/** pg_stat_replication rows of the leader by member name. */
export function replicasOnLeader(standbys: Standby[]): Map<string, ReplicaOnLeader> {
  const out = new Map<string, ReplicaOnLeader>();
  for (const s of standbys)
    if (s.applicationName)
      out.set(s.applicationName, {
        state: s.state,
        syncState: s.syncState,
        replayLagBytes: s.replayLagBytes,
        replayLagMs: s.replayLagMs,
      });
  return out;
}

function isReplica(m: ClusterMember): boolean {
  return m.role === 'replica' || m.role === 'sync_standby';
}

/**
 * What a DBA should look at, worst first: no leader, unreachable members, no sync standby under
 * synchronous_mode, lag above maximum_lag_on_failover (such a member is never promoted), replicas the leader
 * does not stream to, pending restarts, and maintenance mode.
 */
export function clusterWarnings(
  state: ClusterState,
  extra: { unreachable?: string[]; onLeader?: Map<string, ReplicaOnLeader> } = {},
): ClusterWarning[] {
  const out: ClusterWarning[] = [];
  if (!state.leader)
    out.push({ level: 'error', message: 'No member holds the leader key: the cluster takes no writes' });
  for (const name of extra.unreachable ?? [])
    out.push({ level: 'error', member: name, message: `${name}: its REST API does not answer` });
  if (state.config.synchronousMode && !state.members.some((m) => m.role === 'sync_standby'))
    out.push({
      level: 'error',
      message:
        'synchronous_mode is on but no member is a sync standby: writes wait, or (synchronous_mode_strict off) are not protected',
    });
  const maxLag = state.config.maximumLagOnFailover;
  for (const m of state.members.filter(isReplica)) {
    if (maxLag !== undefined && m.lagBytes !== undefined && m.lagBytes > maxLag)
      out.push({
        level: 'warning',
        member: m.name,
        message: `${m.name} lags ${formatBytes(m.lagBytes)}, above maximum_lag_on_failover (${formatBytes(maxLag)}): Patroni will not promote it`,
      });
    if (extra.onLeader && !extra.onLeader.has(m.name) && m.state === 'running')
      out.push({
        level: 'warning',
        member: m.name,
        message: `${m.name} does not stream from the leader (absent from its pg_stat_replication)`,
      });
  }
  for (const m of state.members.filter((x) => x.pendingRestart))
    out.push({ level: 'warning', member: m.name, message: `${m.name} has settings pending a restart` });
  if (state.paused)
    out.push({
      level: 'info',
      message: 'Maintenance mode (paused): Patroni neither fails over nor restarts PostgreSQL',
    });
  return out;
}

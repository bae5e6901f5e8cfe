import { PgOpsError } from '../errors';
import type { PatroniEndpoint, RestAnswer } from './patroniRest';
import { firstAnswer, restJson, restRequest } from './patroniRest';

/** Patroni's roles, with 3.0's older `master` read as `leader`. */
export type MemberRole = 'leader' | 'replica' | 'sync_standby' | 'standby_leader' | 'unknown';

export interface ClusterMember {
  name: string;
  role: MemberRole;
  state: string;
  host: string;
  port: number;
  apiUrl?: string;
  timeline?: number;
  /** Replication lag in bytes as Patroni reports it (absent on the leader, or "unknown"). */
  lagBytes?: number;
  pendingRestart: boolean;
  tags: { nofailover?: boolean; noloadbalance?: boolean; nosync?: boolean; [k: string]: unknown };
}

/** One line of GET /history: a timeline switch. */
export interface TimelineSwitch {
  timeline: number;
  lsn: number;
  reason: string;
  at?: string;
  newLeader?: string;
}

export interface ClusterState {
  scope?: string;
  members: ClusterMember[];
  leader?: string;
  paused: boolean;
  scheduledSwitchover?: { at: string; from?: string; to?: string };
  /** The dynamic configuration's keys the view and the warnings read. */
  config: { synchronousMode: boolean; maximumLagOnFailover?: number; ttl?: number; loopWait?: number };
  history: TimelineSwitch[];
  /** Which URL answered. */
  source: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function memberRole(role: unknown): MemberRole {
  switch (role) {
    case 'leader':
    case 'master':
    case 'primary':
      return 'leader';
    case 'replica':
    case 'sync_standby':
    case 'standby_leader':
      return role;
    case 'sync_replica':
      return 'sync_standby';
    default:
      return 'unknown';
  }
}

/** GET /cluster's body as our members; anything not shaped like Patroni's answer is an error naming the URL. */
export function parseClusterJson(body: unknown, url: string): Omit<ClusterState, 'config' | 'history' | 'source'> {
  const o = body as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.members))
    throw new PgOpsError(
      'patroni-http',
      `${url} did not answer like Patroni's /cluster (no members list)`,
      'Check that the URL is a Patroni REST API.',
    );
  const members = (o.members as Array<Record<string, unknown>>).map((m) => {
    const tags = (m.tags && typeof m.tags === 'object' ? m.tags : {}) as ClusterMember['tags'];
    return {
      name: str(m.name) ?? '?',
      role: memberRole(m.role),
      state: str(m.state) ?? 'unknown',
      host: str(m.host) ?? '',
      port: int(m.port) ?? 5432,
      apiUrl: str(m.api_url),
      timeline: int(m.timeline),
      lagBytes: int(m.lag),
      pendingRestart: m.pending_restart === true,
      tags,
    } satisfies ClusterMember;
  });
  const sched = o.scheduled_switchover as Record<string, unknown> | undefined;
  return {
    scope: str(o.scope),
    members,
    leader: members.find((m) => m.role === 'leader' || m.role === 'standby_leader')?.name,
    paused: o.pause === true,
    scheduledSwitchover:
      sched && str(sched.at) ? { at: str(sched.at)!, from: str(sched.from), to: str(sched.to) } : undefined,
  };
}

export function parseHistory(body: unknown): TimelineSwitch[] {
  if (!Array.isArray(body)) return [];
  return body
    .filter((r): r is unknown[] => Array.isArray(r) && typeof r[0] === 'number')
    .map((r) => ({
      timeline: r[0] as number,
      lsn: Number(r[1]) || 0,
      reason: str(r[2]) ?? '',
      at: str(r[3]),
      newLeader: str(r[4]),
    }));
}

/** The cluster as Patroni sees it: members, then the dynamic configuration and the timeline history from the same member. */
export async function loadCluster(endpoint: PatroniEndpoint, signal?: AbortSignal): Promise<ClusterState> {
  const answer = await firstAnswer(endpoint, 'GET', 'cluster', undefined, signal);
  const base = new URL(answer.url).origin;
  const state = parseClusterJson(restJson(answer, 'GET /cluster'), answer.url);
  const optional = async (path: string): Promise<unknown> => {
    const a: RestAnswer = await restRequest(endpoint, base, 'GET', path, undefined, signal);
    return a.status === 200 ? restJson(a, `GET /${path}`) : undefined;
  };
  const config = ((await optional('config')) ?? {}) as Record<string, unknown>;
  const history = parseHistory(await optional('history'));
  // /cluster names the scope from Patroni 3.1 on; the member's own /patroni always does
  const self = state.scope ? undefined : ((await optional('patroni')) as { patroni?: { scope?: unknown } } | undefined);
  return {
    ...state,
    scope: state.scope ?? str(self?.patroni?.scope),
    paused: state.paused || config.pause === true,
    config: {
      synchronousMode: config.synchronous_mode === true || config.synchronous_mode === 'on',
      maximumLagOnFailover: int(config.maximum_lag_on_failover),
      ttl: int(config.ttl),
      loopWait: int(config.loop_wait),
    },
    history,
    source: base,
  };
}

/** A member's own REST URL: its api_url without the path, so the actions can address that member. */
export function memberBase(m: ClusterMember): string | undefined {
  if (!m.apiUrl) return undefined;
  try {
    return new URL(m.apiUrl).origin;
  } catch {
    return undefined;
  }
}

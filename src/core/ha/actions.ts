import { PgOpsError } from '../errors';
import type { ClusterState } from './cluster';
import { memberBase } from './cluster';
import type { PatroniEndpoint, RestAnswer } from './patroniRest';
import { firstAnswer, restFailure, restRequest } from './patroniRest';

/**
 * Patroni's own actions through its REST API, with Patroni's parameter names (leader, candidate, scheduled_at).
 * Each one is checked against the cluster first, so a typo is refused before Patroni sees it; the caller
 * confirms (typed scope name on production) before calling.
 */

export interface SwitchoverRequest {
  candidate?: string;
  /** ISO 8601 with a time zone, as Patroni's scheduled_at. */
  scheduledAt?: string;
}

export interface ActionResult {
  status: number;
  /** Patroni's answer text, e.g. 'Successfully switched over to "node2"'. */
  message: string;
}

function answerText(a: RestAnswer): string {
  return a.body.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function done(a: RestAnswer, what: string): ActionResult {
  if (a.status < 200 || a.status >= 300) throw restFailure(a, what);
  return { status: a.status, message: answerText(a) };
}

function memberNamed(state: ClusterState, name: string, what: string) {
  const m = state.members.find((x) => x.name === name);
  if (!m)
    throw new PgOpsError(
      'patroni-member',
      `${what}: no member named "${name}" in cluster ${state.scope ?? ''}`.trim(),
      `Members: ${state.members.map((x) => x.name).join(', ')}.`,
    );
  return m;
}

/** The switchover candidates: running replicas without nofailover, a sync standby first under synchronous_mode. */
export function switchoverCandidates(state: ClusterState): string[] {
  return state.members
    .filter((m) => m.name !== state.leader && m.state === 'running' && m.tags.nofailover !== true)
    .filter((m) => !state.config.synchronousMode || m.role === 'sync_standby')
    .sort((a, b) => (a.role === 'sync_standby' ? -1 : 0) - (b.role === 'sync_standby' ? -1 : 0))
    .map((m) => m.name);
}

export async function switchover(
  endpoint: PatroniEndpoint,
  state: ClusterState,
  req: SwitchoverRequest,
): Promise<ActionResult> {
  if (!state.leader)
    throw new PgOpsError(
      'patroni-no-leader',
      'Switchover: the cluster has no leader',
      'Use a failover (pgops drill failover) instead.',
    );
  if (req.candidate) {
    memberNamed(state, req.candidate, 'Switchover');
    if (req.candidate === state.leader)
      throw new PgOpsError(
        'patroni-member',
        `Switchover: "${req.candidate}" is already the leader`,
        'Name a replica with --candidate.',
      );
  } else if (state.config.synchronousMode && switchoverCandidates(state).length === 0)
    throw new PgOpsError(
      'patroni-member',
      'Switchover: synchronous_mode is on and no sync standby runs',
      'Wait for a sync standby, or name one.',
    );
  if (req.scheduledAt !== undefined && Number.isNaN(Date.parse(req.scheduledAt)))
    throw new PgOpsError(
      'patroni-schedule',
      `Switchover: "${req.scheduledAt}" is not a time`,
      'Give ISO 8601 with a zone, e.g. 2026-12-24T03:00+00:00.',
    );
  const body: Record<string, string> = { leader: state.leader };
  if (req.candidate) body.candidate = req.candidate;
  if (req.scheduledAt) body.scheduled_at = req.scheduledAt;
  return done(await firstAnswer(endpoint, 'POST', 'switchover', body), 'POST /switchover');
}

/** Patroni's manual failover: promotes the candidate even without a healthy leader. */
export async function failover(
  endpoint: PatroniEndpoint,
  state: ClusterState,
  candidate: string,
): Promise<ActionResult> {
  memberNamed(state, candidate, 'Failover');
  return done(await firstAnswer(endpoint, 'POST', 'failover', { candidate }), 'POST /failover');
}

async function onMember(
  endpoint: PatroniEndpoint,
  state: ClusterState,
  name: string,
  path: string,
  body: unknown,
): Promise<ActionResult> {
  const m = memberNamed(state, name, `POST /${path}`);
  const base = memberBase(m);
  if (!base)
    throw new PgOpsError(
      'patroni-member',
      `${name} publishes no REST URL (api_url)`,
      'Check restapi.connect_address on that member.',
    );
  return done(await restRequest(endpoint, base, 'POST', path, body), `POST /${path} on ${name}`);
}

/** Restarts one member's PostgreSQL (Patroni's POST /restart on that member). */
export function restartMember(endpoint: PatroniEndpoint, state: ClusterState, name: string): Promise<ActionResult> {
  return onMember(endpoint, state, name, 'restart', {});
}

/** Makes one member's Patroni re-read its configuration and PostgreSQL reload (POST /reload). */
export function reloadMember(endpoint: PatroniEndpoint, state: ClusterState, name: string): Promise<ActionResult> {
  return onMember(endpoint, state, name, 'reload', undefined);
}

/** Maintenance mode on or off (PATCH /config {"pause": …}). */
export async function setPaused(endpoint: PatroniEndpoint, paused: boolean): Promise<ActionResult> {
  return done(await firstAnswer(endpoint, 'PATCH', 'config', { pause: paused }), 'PATCH /config');
}

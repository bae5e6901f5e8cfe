import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../core/conn/profile';
import type { ProfileSecrets } from '../../core/conn/profileSecrets';
import { formatBytes, listStandbys } from '../../core/diag/replication';
import type { ClusterMember, ClusterState } from '../../core/ha/cluster';
import { loadCluster } from '../../core/ha/cluster';
import type { ClusterWarning, ReplicaOnLeader } from '../../core/ha/clusterHealth';
import { clusterWarnings, replicasOnLeader, unreachableMembers } from '../../core/ha/clusterHealth';
import type { PatroniEndpoint } from '../../core/ha/patroniRest';
import { parsePatroniCredentials, profilePatroniEndpoint } from '../../core/ha/profileEndpoint';
import type { Logger } from '../../core/log';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { config } from '../settings';
import type { DiagContext } from './diagTree';
import { DiagNode, DiagTreeProvider, detailNode, messageNode } from './diagTree';

export interface ClusterData {
  profileId: string;
  /** Undefined when the profile names no Patroni REST API. */
  cluster?: {
    state: ClusterState;
    warnings: ClusterWarning[];
    onLeader?: Map<string, ReplicaOnLeader>;
    unreachable: string[];
  };
}

/** What the member and cluster commands get from a row. */
export interface ClusterPayload {
  profileId: string;
  state: ClusterState;
  member?: ClusterMember;
}

/** The REST endpoint of a profile: its "patroni" settings and the credentials kept in Secret Storage. */
export async function patroniEndpoint(
  profile: ConnectionProfile,
  secrets: ProfileSecrets,
): Promise<PatroniEndpoint | undefined> {
  if (!profile.patroni) return undefined;
  const creds = parsePatroniCredentials(await secrets.get(profile, 'patroniRest'));
  return profilePatroniEndpoint(profile.name, profile.patroni, creds);
}

const roleIcon: Record<string, [string, string | undefined]> = {
  leader: ['star-full', 'charts.green'],
  standby_leader: ['star-half', 'charts.green'],
  sync_standby: ['sync', 'charts.blue'],
  replica: ['circle-large-outline', undefined],
  unknown: ['question', 'list.warningForeground'],
};

/**
 * The Patroni cluster of the active connection's profile: its members as patronictl lists them (role, state,
 * timeline, lag, pending restart, tags) with the leader's own view of each replica (pg_stat_replication, when the
 * session is on the leader), the warnings, maintenance mode, a scheduled switchover and the timeline history.
 */
export class ClusterView extends DiagTreeProvider<ClusterData> {
  private live?: NodeJS.Timeout;

  constructor(sessions: SessionManager, profiles: ProfileStore, logger: Logger) {
    super('pgops.cluster', sessions, profiles, logger);
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.cluster.refreshSeconds') && this.live) this.setVisible(true);
      }),
    );
  }

  /** Live while the view is in sight: every pgops.cluster.refreshSeconds a quiet reload, nothing while hidden. */
  setVisible(visible: boolean): void {
    if (this.live) clearInterval(this.live);
    this.live = undefined;
    const seconds = config().get<number>('cluster.refreshSeconds', 5);
    if (visible && seconds > 0)
      this.live = setInterval(() => void this.refresh({ quiet: true }), Math.max(1, seconds) * 1000);
  }

  override dispose(): void {
    if (this.live) clearInterval(this.live);
    super.dispose();
  }

  protected async load(ctx: DiagContext): Promise<ClusterData> {
    const endpoint = await patroniEndpoint(ctx.profile, this.sessions.secrets);
    if (!endpoint) return { profileId: ctx.profile.id };
    const state = await loadCluster(endpoint);
    const unreachable = await unreachableMembers(endpoint, state);
    const standby = (await ctx.client.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r')).rows[0].r;
    const onLeader = standby ? undefined : replicasOnLeader(await listStandbys(ctx.client));
    return {
      profileId: ctx.profile.id,
      cluster: { state, unreachable, onLeader, warnings: clusterWarnings(state, { unreachable, onLeader }) },
    };
  }

  protected render(data: ClusterData): DiagNode[] {
    const id = this.viewId;
    if (!data.cluster)
      return [
        messageNode(`${id}/none`, 'This connection names no Patroni REST API', {
          icon: 'server-environment',
          detail: 'Set Patroni REST API…',
          command: { title: 'Set Patroni REST API…', command: 'pgops.setPatroniApi' },
        }),
      ];
    const { state, warnings, onLeader, unreachable } = data.cluster;
    const leader = state.members.find((m) => m.name === state.leader);
    const item = new vscode.TreeItem(state.scope ?? 'cluster', vscode.TreeItemCollapsibleState.Expanded);
    item.id = `${id}/cluster`;
    item.iconPath = new vscode.ThemeIcon(
      warnings.some((w) => w.level === 'error') ? 'error' : 'server-environment',
      warnings.some((w) => w.level === 'error') ? new vscode.ThemeColor('errorForeground') : undefined,
    );
    item.description = [
      leader ? `leader ${leader.name} · TL ${leader.timeline ?? '?'}` : 'no leader',
      state.config.synchronousMode ? 'synchronous_mode' : '',
      state.paused ? 'paused' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = ['pgops.cluster', state.paused ? 'paused' : 'running'].join('+');
    item.tooltip = `Patroni cluster ${state.scope ?? ''} (from ${state.source})`;
    const payload: ClusterPayload = { profileId: data.profileId, state };
    const children: DiagNode[] = [
      ...warnings.map((w, i) =>
        messageNode(`${id}/warning/${i}`, w.message, {
          icon: w.level === 'error' ? 'error' : w.level === 'warning' ? 'warning' : 'info',
          color: w.level === 'error' ? 'errorForeground' : w.level === 'warning' ? 'list.warningForeground' : undefined,
        }),
      ),
      ...state.members.map((m) => this.memberNode(m, data.profileId, state, onLeader?.get(m.name), unreachable)),
    ];
    if (state.scheduledSwitchover)
      children.push(
        messageNode(`${id}/scheduled`, `Switchover scheduled at ${state.scheduledSwitchover.at}`, {
          icon: 'clock',
          detail: `${state.scheduledSwitchover.from ?? 'leader'} → ${state.scheduledSwitchover.to ?? 'any'}`,
        }),
      );
    if (state.history.length) {
      const h = new vscode.TreeItem(
        `History (${state.history.length} timeline switch${state.history.length === 1 ? '' : 'es'})`,
        vscode.TreeItemCollapsibleState.Collapsed,
      );
      h.id = `${id}/history`;
      h.iconPath = new vscode.ThemeIcon('history');
      children.push(
        new DiagNode(
          h,
          [...state.history]
            .reverse()
            .map((t) =>
              detailNode(
                h.id!,
                `TL ${t.timeline}`,
                `${t.at ?? '?'} · ${t.reason || 'no reason'}${t.newLeader ? ` · ${t.newLeader}` : ''}`,
                'git-commit',
              ),
            ),
        ),
      );
    }
    return [new DiagNode<ClusterPayload>(item, children, payload)];
  }

  private memberNode(
    m: ClusterMember,
    profileId: string,
    state: ClusterState,
    seen: ReplicaOnLeader | undefined,
    unreachable: string[],
  ): DiagNode<ClusterPayload> {
    const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.viewId}/member/${m.name}`;
    const down = unreachable.includes(m.name);
    const [icon, color] = down ? ['debug-disconnect', 'errorForeground'] : (roleIcon[m.role] ?? roleIcon.unknown);
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const lag = m.lagBytes === undefined ? '' : ` · lag ${formatBytes(m.lagBytes)}`;
    item.description = `${m.role} · ${m.state} · TL ${m.timeline ?? '?'}${lag}${m.pendingRestart ? ' · pending restart' : ''}`;
    const tags = Object.entries(m.tags)
      .filter(([, v]) => v === true)
      .map(([k]) => k);
    item.contextValue = [
      'pgops.clusterMember',
      m.role,
      m.name === state.leader ? 'leader' : 'notLeader',
      down ? 'down' : 'up',
    ].join('+');
    item.tooltip = `${m.name} (${m.host}:${m.port}): ${item.description}${tags.length ? `\ntags: ${tags.join(', ')}` : ''}`;
    const pid = item.id;
    const rows: Array<[string, string]> = [
      ['host', `${m.host}:${m.port}`],
      ['REST API', m.apiUrl ?? '—'],
      ['timeline', m.timeline === undefined ? '—' : String(m.timeline)],
      ['lag (Patroni)', m.lagBytes === undefined ? '—' : formatBytes(m.lagBytes)],
    ];
    if (seen)
      rows.push(
        ['on the leader', `${seen.state ?? '?'} · ${seen.syncState ?? '?'}`],
        [
          'replay lag',
          `${seen.replayLagBytes === null ? '—' : formatBytes(seen.replayLagBytes)} / ` +
            (seen.replayLagMs === null ? '—' : `${Math.round(seen.replayLagMs)} ms`),
        ],
      );
    if (tags.length) rows.push(['tags', tags.join(', ')]);
    return new DiagNode<ClusterPayload>(
      item,
      rows.map(([k, v]) => detailNode(pid, k, v)),
      { profileId, state, member: m },
    );
  }
}

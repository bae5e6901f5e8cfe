import * as vscode from 'vscode';
import type { ActivityGrouping, ActivitySession, ActivityThresholds } from '../../core/ops/activity';
import {
  activityGroupings,
  formatAge,
  groupSessions,
  oneLine,
  sessionFlags,
  timeoutText,
  waitLabel,
} from '../../core/ops/activity';
import type { BlockingNode } from '../../core/ops/blocking';
import { blockingNodeParts, waitingUnder } from '../../core/ops/blocking';
import type { ActivityLoad } from '../../core/ops/activityLoad';
import { loadActivity } from '../../core/ops/activityLoad';
import type { Logger } from '../../core/log';
import { blockerPids } from '../panels/activityPanelState';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { config } from '../settings';
import type { DiagContext } from './diagTree';
import { DiagNode, DiagTreeProvider, detailNode, messageNode } from './diagTree';

export interface ActivityData extends ActivityLoad {
  profileId: string;
  grouping: ActivityGrouping;
  thresholds: ActivityThresholds;
}

/** What the session commands (cancel, terminate, copy, open, EXPLAIN) need from a row. */
export interface SessionPayload {
  session: ActivitySession;
  profileId: string;
}

const groupingLabels: Record<ActivityGrouping, string> = {
  state: 'state',
  database: 'database',
  application: 'application',
  wait: 'wait type',
};

/** The live refresh interval: `pgops.activity.refreshSeconds`, 0 (off) or 1 s and more. */
export function activityRefreshSeconds(): number {
  const s = config().get<number>('activity.refreshSeconds', 2);
  return typeof s === 'number' && Number.isFinite(s) && s > 0 ? Math.max(1, s) : 0;
}

/**
 * Sessions now, from pg_stat_activity: who blocks whom (blockers at the root, the lock each waiter asked for),
 * maintenance in progress, then every session grouped by state, database, application or wait type. One query
 * per refresh; live refresh runs while the view or the Activity panel is visible, and can be paused.
 */
export class ActivityView extends DiagTreeProvider<ActivityData> {
  private readonly watchers = new Set<string>();
  private liveTimer?: NodeJS.Timeout;
  private paused = false;
  private readonly loaded = this.register(
    new vscode.EventEmitter<{ data: ActivityData; session: DiagContext['session'] }>(),
  );
  /** Fires after each successful load, with the session it came from (the panel follows it). */
  readonly onDidLoad = this.loaded.event;

  constructor(
    sessions: SessionManager,
    profiles: ProfileStore,
    logger: Logger,
    /** The thresholds sessions are flagged against: the health checks' warn levels from the settings. */
    private readonly thresholds: () => ActivityThresholds,
  ) {
    super('pgops.activity', sessions, profiles, logger);
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.activity.refreshSeconds')) this.scheduleLive();
        // what it lists (groupBy, showIdle, showOwn) and where it flags (the health thresholds)
        if (e.affectsConfiguration('pgops.activity') || e.affectsConfiguration('pgops.health')) this.invalidate();
      }),
    );
    void vscode.commands.executeCommand('setContext', 'pgops.activityPaused', false);
  }

  get grouping(): ActivityGrouping {
    const g = config().get<string>('activity.groupBy', 'state');
    return (activityGroupings as readonly string[]).includes(g) ? (g as ActivityGrouping) : 'state';
  }

  /** Something that wants live rows (the view while visible, the panel while open) says so by name. */
  setLive(watcher: string, on: boolean): void {
    if (on) this.watchers.add(watcher);
    else this.watchers.delete(watcher);
    this.scheduleLive();
  }

  /** Pauses or resumes the live refresh (the rows stay as they are, to be read or acted on). */
  async setPaused(paused: boolean): Promise<void> {
    this.paused = paused;
    await vscode.commands.executeCommand('setContext', 'pgops.activityPaused', paused);
    this.scheduleLive();
    if (!paused) await this.refresh({ quiet: true });
  }

  private scheduleLive(): void {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = undefined;
    const seconds = activityRefreshSeconds();
    if (seconds === 0 || this.paused || this.watchers.size === 0) return;
    this.liveTimer = setInterval(() => void this.refresh({ quiet: true }), seconds * 1000);
  }

  override dispose(): void {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = undefined;
    super.dispose();
  }

  protected async load(ctx: DiagContext): Promise<ActivityData> {
    const load = await loadActivity(
      ctx.client,
      ctx.serverVersionNum,
      {
        includeIdle: config().get<boolean>('activity.showIdle', false),
        includeOwn: config().get<boolean>('activity.showOwn', false),
      },
      ctx.session.waitHistory,
    );
    const data: ActivityData = {
      ...load,
      profileId: ctx.profile.id,
      grouping: this.grouping,
      thresholds: this.thresholds(),
    };
    this.loaded.fire({ data, session: ctx.session });
    return data;
  }

  protected render(data: ActivityData): DiagNode[] {
    const id = `${this.viewId}/${data.profileId}`;
    const { snapshot, tree } = data;
    const blockers = blockerPids(snapshot.sessions);
    const waiting = snapshot.sessions.filter((s) => s.blockedBy.length > 0).length;
    const active = snapshot.sessions.filter((s) => s.state === 'active' && !s.isOwn).length;
    const flagged = snapshot.sessions.filter((s) => sessionFlags(s, data.thresholds).length > 0).length;
    const nodes: DiagNode[] = [
      messageNode(
        `${id}/summary`,
        `${snapshot.sessions.length} session(s) · ${active} active · ${waiting} waiting for a lock`,
        {
          icon: waiting ? 'lock' : flagged ? 'warning' : 'pulse',
          color: waiting || flagged ? 'list.warningForeground' : undefined,
          detail:
            `${this.paused ? 'paused' : `at ${new Date(snapshot.readAt).toLocaleTimeString()}`} · ` +
            `idle_in_transaction_session_timeout ${timeoutText(snapshot.idleInTransactionSessionTimeoutMs)}`,
          tooltip:
            `Read at ${snapshot.readAt} (the server's clock).\n` +
            `Flagged: a transaction open ${formatAge(data.thresholds.longTransactionS)} or more, or idle in a ` +
            `transaction ${formatAge(data.thresholds.idleInTransactionS)} or more (the health checks' warn levels, ` +
            `pgops.health.thresholds).\nidle_in_transaction_session_timeout: ${timeoutText(snapshot.idleInTransactionSessionTimeoutMs)}` +
            (snapshot.transactionTimeoutMs !== null
              ? `\ntransaction_timeout: ${timeoutText(snapshot.transactionTimeoutMs)}`
              : '') +
            (config().get<boolean>('activity.showIdle', false)
              ? ''
              : '\nIdle sessions are hidden (Choose What to Show).'),
        },
      ),
    ];
    nodes.push(this.blockingSection(id, data, tree));
    if (data.progress.length || data.progressError) nodes.push(this.progressSection(id, data));
    const groups = groupSessions(snapshot.sessions, data.grouping);
    for (const g of groups) {
      const item = new vscode.TreeItem(`${g.key} (${g.sessions.length})`, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `${id}/group/${data.grouping}/${g.key}`;
      item.iconPath = new vscode.ThemeIcon('folder');
      item.tooltip = `Sessions by ${groupingLabels[data.grouping]}: ${g.key}`;
      item.contextValue = 'pgops.activityGroup';
      nodes.push(
        new DiagNode(
          item,
          g.sessions.map((s) => this.sessionNode(`${item.id}`, s, data, blockers)),
        ),
      );
    }
    if (groups.length === 0)
      nodes.push(
        messageNode(`${id}/none`, 'No other session is running', {
          icon: 'circle-slash',
          detail: config().get<boolean>('activity.showIdle', false) ? undefined : 'idle sessions are hidden',
        }),
      );
    return nodes;
  }

  private blockingSection(id: string, data: ActivityData, tree: BlockingNode[]): DiagNode {
    if (tree.length === 0)
      return messageNode(`${id}/blocking`, 'Blocking: no session waits for a lock', { icon: 'unlock' });
    const waiting = tree.reduce((sum, r) => sum + waitingUnder(r), 0);
    const item = new vscode.TreeItem(
      `Blocking: ${tree.length} blocker(s), ${waiting} waiting`,
      vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = `${id}/blocking`;
    item.iconPath = new vscode.ThemeIcon('lock', new vscode.ThemeColor('list.warningForeground'));
    item.tooltip = 'Blockers at the root, the sessions waiting for them below, with the lock each asked for.';
    const build = (n: BlockingNode, parentId: string): DiagNode => {
      const { who, what } = blockingNodeParts(n);
      const nodeId = `${parentId}/${n.pid}`;
      const t = new vscode.TreeItem(
        who,
        n.children.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
      );
      t.id = nodeId;
      t.description = what;
      t.tooltip = n.session ? sessionTooltip(n.session, sessionFlags(n.session, data.thresholds)) : who;
      const blocked = (n.session?.blockedBy.length ?? 0) > 0;
      t.iconPath = new vscode.ThemeIcon(
        blocked ? 'watch' : 'lock',
        new vscode.ThemeColor(blocked ? 'list.warningForeground' : 'errorForeground'),
      );
      t.contextValue = n.session ? sessionContext(n.session) : undefined;
      return new DiagNode<SessionPayload | undefined>(
        t,
        n.children.map((c) => build(c, nodeId)),
        n.session ? { session: n.session, profileId: data.profileId } : undefined,
      );
    };
    return new DiagNode(
      item,
      tree.map((r) => build(r, `${id}/blocking`)),
    );
  }

  private progressSection(id: string, data: ActivityData): DiagNode {
    const item = new vscode.TreeItem(
      `Maintenance running (${data.progress.length})`,
      vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = `${id}/progress`;
    item.iconPath = new vscode.ThemeIcon('tools');
    const rows = data.progress.map((p) =>
      messageNode(`${id}/progress/${p.pid}/${p.kind}`, `${p.command} ${p.relation ?? p.database ?? ''}`.trim(), {
        icon: p.autovacuum ? 'sync' : 'tools',
        detail:
          `${p.phase}${p.percent !== null ? ` ${p.percent}%` : ''}` +
          `${p.done !== null && p.total !== null ? ` (${p.done} of ${p.total} ${p.unit})` : ''} · PID ${p.pid}`,
      }),
    );
    if (data.progressError)
      rows.push(messageNode(`${id}/progress/error`, data.progressError, { icon: 'error', color: 'errorForeground' }));
    return new DiagNode(item, rows);
  }

  private sessionNode(
    parentId: string,
    s: ActivitySession,
    data: ActivityData,
    blockers: ReadonlySet<number>,
  ): DiagNode<SessionPayload> {
    const flags = sessionFlags(s, data.thresholds);
    const progress = data.progress.find((p) => p.pid === s.pid);
    const item = new vscode.TreeItem(
      `${s.pid} ${s.user ?? s.backendType ?? '?'}${s.database ? `@${s.database}` : ''}`,
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `${parentId}/${s.pid}`;
    item.description = [
      s.state ?? s.backendType ?? '',
      waitLabel(s),
      s.queryAgeS !== null ? formatAge(s.queryAgeS) : '',
      ...(progress ? [`${progress.phase}${progress.percent !== null ? ` ${progress.percent}%` : ''}`] : []),
      ...flags,
      oneLine(s.query, 80),
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = sessionTooltip(s, flags);
    item.iconPath = sessionIcon(s, flags.length > 0, blockers.has(s.pid));
    item.contextValue = sessionContext(s);
    const pid = item.id;
    const children = [
      detailNode(pid, 'user', s.user ?? ''),
      detailNode(pid, 'database', s.database ?? ''),
      detailNode(pid, 'application', s.application ?? ''),
      detailNode(pid, 'client address', s.clientAddr ?? '(local socket)'),
      detailNode(pid, 'backend type', s.backendType ?? ''),
      detailNode(pid, 'state', s.state ?? ''),
      detailNode(pid, 'wait', waitLabel(s) || 'none'),
      detailNode(pid, 'query age', formatAge(s.queryAgeS)),
      detailNode(pid, 'transaction age', formatAge(s.xactAgeS) || 'no transaction'),
      ...(s.blockedBy.length ? [detailNode(pid, 'blocked by', s.blockedBy.join(', '), 'lock')] : []),
      ...(flags.length ? [detailNode(pid, 'flagged', flags.join(', '), 'warning')] : []),
      ...(progress ? [detailNode(pid, 'progress', `${progress.command}: ${progress.phase}`, 'tools')] : []),
      detailNode(pid, 'query', oneLine(s.query, 200) || '(none)', 'code'),
    ];
    return new DiagNode<SessionPayload>(item, children, { session: s, profileId: data.profileId });
  }
}

/**
 * What the menus may offer on a session row: `+client` for a client backend other than ours (cancel and
 * terminate), `+query` when its statement text is readable (copy, open, EXPLAIN).
 */
export function sessionContext(s: ActivitySession): string {
  const client = s.backendType === 'client backend' && !s.isOwn ? '+client' : '';
  const query = s.query && s.query !== '<insufficient privilege>' ? '+query' : '';
  return `pgops.session${client}${query}`;
}

function sessionIcon(s: ActivitySession, flagged: boolean, blocking: boolean): vscode.ThemeIcon {
  const warn = new vscode.ThemeColor('list.warningForeground');
  if (blocking) return new vscode.ThemeIcon('lock', new vscode.ThemeColor('errorForeground'));
  if (s.blockedBy.length) return new vscode.ThemeIcon('watch', warn);
  if (flagged) return new vscode.ThemeIcon('warning', warn);
  if (s.backendType !== 'client backend') return new vscode.ThemeIcon('server-process');
  if (s.state === 'active') return new vscode.ThemeIcon('play', new vscode.ThemeColor('testing.iconPassed'));
  if (s.state?.startsWith('idle in transaction')) return new vscode.ThemeIcon('debug-pause', warn);
  return new vscode.ThemeIcon('circle-outline');
}

function sessionTooltip(s: ActivitySession, flags: readonly string[]): string {
  return [
    `PID ${s.pid}${s.leaderPid !== null ? ` (parallel worker of ${s.leaderPid})` : ''} · ${s.backendType ?? '?'}`,
    `${s.user ?? '?'}@${s.database ?? '?'}${s.application ? ` · ${s.application}` : ''}${s.clientAddr ? ` · from ${s.clientAddr}` : ''}`,
    `state: ${s.state ?? '?'}${s.stateAgeS !== null ? ` for ${formatAge(s.stateAgeS)}` : ''}`,
    ...(waitLabel(s) ? [`waits: ${waitLabel(s)}`] : []),
    ...(s.blockedBy.length ? [`blocked by: ${s.blockedBy.join(', ')}`] : []),
    `query running ${formatAge(s.queryAgeS) || '-'} · transaction open ${formatAge(s.xactAgeS) || '-'}`,
    ...(flags.length ? [`flagged: ${flags.join(', ')}`] : []),
    '',
    oneLine(s.query, 600) || '(no statement)',
  ].join('\n');
}

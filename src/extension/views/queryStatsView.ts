import * as vscode from 'vscode';
import type { StatementDelta } from '../../core/diag/statementDeltas';
import { StatementHistory } from '../../core/diag/statementDeltas';
import type { QueryStatsLoad, QueryStatsMode } from '../../core/diag/queryStatsLoad';
import { loadQueryStats } from '../../core/diag/queryStatsLoad';
import type { StatementOrder, StatementsSource, StatementStats } from '../../core/diag/statements';
import { formatMs, statementTooltipMarkdown } from '../../core/diag/statementTooltip';
import type { WaitSnapshot } from '../../core/diag/waitSampler';
import { WaitSampler } from '../../core/diag/waitSampler';
import type { OwnedResource } from '../../core/conn/connectionSession';
import type { Logger } from '../../core/log';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { config } from '../settings';
import { untrustedMarkdown } from '../ui';
import type { DiagContext } from './diagTree';
import { DiagNode, DiagTreeProvider, messageNode } from './diagTree';

export interface QueryStatsData extends QueryStatsLoad {
  profileId: string;
}

export interface StatementPayload {
  statement: StatementStats;
  source: StatementsSource;
  profileId: string;
}

const orderLabels: Record<StatementOrder, string> = {
  total: 'total time',
  mean: 'mean time',
  calls: 'calls',
  rows: 'rows',
  io: 'shared blocks read',
  temp: 'temp blocks',
  wal: 'WAL bytes',
};

/** First line of the normalized text, shortened for a tree label. */
export function firstLine(query: string | null): string {
  if (query === null) return '(query text not available)';
  const line = query.trim().split('\n')[0].replace(/\s+/g, ' ');
  return line.length > 90 ? `${line.slice(0, 87)}…` : line;
}

/** The Query Stats view: health notes, wait events, and the top statements (cumulative or since the last snapshot). */
export class QueryStatsView extends DiagTreeProvider<QueryStatsData> {
  /** The running wait sampler; its connection's session owns it (and its redraw timer) and stops it on disconnect. */
  private sampler?: { profileId: string; sampler: WaitSampler; owned: OwnedResource[] };

  constructor(sessions: SessionManager, profiles: ProfileStore, logger: Logger) {
    super('pgops.queryStats', sessions, profiles, logger);
    this.register({ dispose: () => void this.stopSampling() });
  }

  get mode(): QueryStatsMode {
    return config().get<QueryStatsMode>('queryStats.mode', 'cumulative');
  }

  get order(): StatementOrder {
    return config().get<StatementOrder>('queryStats.order', 'total');
  }

  /** The session's snapshot history (delta mode and the detail panel's chart); empty without a session. */
  history(profileId: string): StatementHistory {
    return this.sessions.session(profileId)?.statementHistory ?? new StatementHistory();
  }

  protected async load(ctx: DiagContext): Promise<QueryStatsData> {
    const limit = config().get<number>('queryStats.limit', 50);
    const data = await loadQueryStats(ctx.client, {
      mode: this.mode,
      order: this.order,
      limit,
      history: this.history(ctx.profile.id),
    });
    return { ...data, profileId: ctx.profile.id };
  }

  protected render(data: QueryStatsData): DiagNode[] {
    const id = this.viewId;
    const nodes: DiagNode[] = [];
    const problems = data.notes.filter((n) => n.level !== 'info');
    const health = new vscode.TreeItem(
      problems.length ? `Health: ${problems.length} to look at` : 'Health',
      problems.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    health.id = `${id}/health`;
    health.iconPath = new vscode.ThemeIcon(
      problems.some((n) => n.level === 'error') ? 'error' : problems.length ? 'warning' : 'pass',
    );
    nodes.push(
      new DiagNode(
        health,
        data.notes.map((n, i) =>
          messageNode(`${id}/health/${n.code}/${i}`, n.message, {
            icon: n.level === 'error' ? 'error' : n.level === 'warning' ? 'warning' : 'info',
            detail: n.hint,
            tooltip: [n.message, n.hint, n.fix && `Fix:\n${n.fix}`].filter(Boolean).join('\n\n'),
            command: n.fix ? { title: 'Open fix', command: 'pgops.openDiagFix', arguments: [n.fix] } : undefined,
          }),
        ),
      ),
    );
    nodes.push(this.renderWaits(data.profileId));
    if (data.probe.state !== 'ready') return nodes;
    const source = data.probe.source;
    const heading =
      data.mode === 'delta'
        ? data.interval
          ? `Since ${new Date(data.interval.from).toLocaleTimeString()} ` +
            `(${Math.round((data.interval.to - data.interval.from) / 1000)} s)` +
            (data.interval.fullReset ? ' · statistics were reset' : '')
          : 'First snapshot taken: refresh again to see the activity since'
        : `Cumulative since the last reset, by ${orderLabels[data.order]}`;
    nodes.push(
      messageNode(`${id}/heading`, heading, {
        icon: data.mode === 'delta' ? 'history' : 'graph',
        detail: data.mode === 'delta' ? `by ${orderLabels[data.order]}` : undefined,
      }),
    );
    if (data.statements.length === 0) {
      nodes.push(
        messageNode(
          `${id}/empty`,
          data.mode === 'delta' && data.interval ? 'No statement ran in this interval' : 'No statements recorded yet',
          { icon: 'circle-slash' },
        ),
      );
    }
    for (const s of data.statements) nodes.push(this.statementNode(s, source, data.profileId));
    return nodes;
  }

  private statementNode(
    s: StatementStats | StatementDelta,
    source: StatementsSource,
    profileId: string,
  ): DiagNode<StatementPayload> {
    const item = new vscode.TreeItem(firstLine(s.query), vscode.TreeItemCollapsibleState.None);
    item.id = `${this.viewId}/stmt/${s.key}`;
    item.description = `${s.calls} calls · ${formatMs(s.totalMs)} · mean ${formatMs(s.meanMs)} · ${s.sharePct.toFixed(1)}%`;
    item.tooltip = untrustedMarkdown(statementTooltipMarkdown(s));
    item.iconPath = new vscode.ThemeIcon(s.toplevel === false ? 'symbol-method' : 'symbol-event');
    item.contextValue = 'pgops.statement';
    const node = new DiagNode<StatementPayload>(item, [], { statement: s, source, profileId });
    item.command = { title: 'Show Statement Details', command: 'pgops.showStatementDetail', arguments: [node] };
    return node;
  }

  // ── Wait events ────────────────────────────────────────────────────────

  get samplingProfileId(): string | undefined {
    return this.sampler?.profileId;
  }

  waitSnapshot(): WaitSnapshot | undefined {
    return this.sampler?.sampler.snapshot();
  }

  /** Starts sampling pg_stat_activity on the active session (pgops.waits.hz), or stops it. */
  async toggleSampling(): Promise<boolean> {
    if (this.sampler) {
      await this.stopSampling();
      return false;
    }
    const ctx = this.context();
    if ('error' in ctx) throw new Error(`Cannot sample wait events: ${ctx.error}`);
    const sampler = new WaitSampler(ctx.client, { hz: config().get<number>('waits.hz', 1) });
    sampler.start();
    // redraw the node every few seconds rather than on every sample
    const timer = setInterval(() => this.redraw(), 3000);
    const forget = () => {
      if (this.sampler?.sampler !== sampler) return;
      this.sampler = undefined;
      this.redraw();
    };
    this.sampler = {
      profileId: ctx.profile.id,
      sampler,
      owned: [
        ctx.session.own('Query Stats wait sampler', async () => {
          forget();
          await sampler.stop();
        }),
        ctx.session.own('Query Stats redraw timer', () => clearInterval(timer)),
      ],
    };
    this.redraw();
    return true;
  }

  /** The running wait sampler, if any (tests check that it stops with its connection). */
  get activeSampler(): WaitSampler | undefined {
    return this.sampler?.sampler;
  }

  async stopSampling(): Promise<void> {
    const s = this.sampler;
    if (!s) return;
    for (const o of [...s.owned].reverse()) await o.dispose();
    this.sampler = undefined;
    this.redraw();
  }

  private renderWaits(profileId: string): DiagNode {
    const id = `${this.viewId}/waits`;
    if (!this.sampler || this.sampler.profileId !== profileId) {
      return messageNode(id, 'Wait Events', {
        icon: 'pulse',
        detail: 'sampling off — click to start',
        command: { title: 'Start sampling', command: 'pgops.toggleWaitSampling' },
      });
    }
    const snap = this.sampler.sampler.snapshot();
    const item = new vscode.TreeItem('Wait Events', vscode.TreeItemCollapsibleState.Expanded);
    item.id = id;
    item.description = `${snap.samples} samples${snap.errors ? `, ${snap.errors} failed` : ''}`;
    item.tooltip =
      'Active backends (except this session) in pg_stat_activity, counted per sample by wait_event_type / wait_event. CPU / Running: active and not waiting.';
    item.iconPath = new vscode.ThemeIcon('pulse', new vscode.ThemeColor('charts.green'));
    item.contextValue = 'pgops.waits+sampling';
    const total = snap.counts.reduce((a, c) => a + c.count, 0);
    const children = snap.counts.map((c) =>
      messageNode(`${id}/${c.waitEventType}/${c.waitEvent}`, `${c.waitEventType} / ${c.waitEvent}`, {
        icon:
          c.waitEventType === 'CPU'
            ? 'dashboard'
            : c.waitEventType === 'Lock'
              ? 'lock'
              : c.waitEventType === 'IO'
                ? 'file'
                : 'watch',
        detail: `${c.count} (${total ? ((100 * c.count) / total).toFixed(0) : 0}%) · ${(c.count / Math.max(1, snap.samples)).toFixed(2)} avg active`,
      }),
    );
    if (children.length === 0)
      children.push(
        messageNode(`${id}/none`, snap.samples ? 'No active backend seen yet' : 'Taking the first sample…', {
          icon: 'circle-slash',
        }),
      );
    if (snap.lastError)
      children.push(messageNode(`${id}/error`, `Last sample failed: ${snap.lastError}`, { icon: 'error' }));
    return new DiagNode(item, children);
  }
}

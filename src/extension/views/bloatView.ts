import * as vscode from 'vscode';
import type { BloatEstimate } from '../../core/diag/bloat';
import { estimateBloat } from '../../core/diag/bloat';
import type { ExactBloat } from '../../core/diag/bloatExact';
import { formatBytes } from '../../core/diag/replication';
import type { Logger } from '../../core/log';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { config } from '../settings';
import type { DiagContext } from './diagTree';
import { DiagNode, DiagTreeProvider, detailNode, messageNode } from './diagTree';

export interface BloatPayload {
  estimate: BloatEstimate;
  profileId: string;
  database: string;
}

/** Estimated bloat of tables and btree indexes, largest waste first, with exact measurements beside them. */
export class BloatView extends DiagTreeProvider<{ rows: BloatEstimate[]; profileId: string; database: string }> {
  /** Exact measurements taken this session, by profile and relation oid. */
  readonly measured = new Map<string, ExactBloat>();

  constructor(sessions: SessionManager, profiles: ProfileStore, logger: Logger) {
    super('pgops.bloat', sessions, profiles, logger);
  }

  protected async load(ctx: DiagContext) {
    const db = (await ctx.client.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
    return {
      rows: await estimateBloat(ctx.client, config().get<number>('bloat.limit', 50)),
      profileId: ctx.profile.id,
      database: db,
    };
  }

  recordMeasurement(profileId: string, oid: number, m: ExactBloat): void {
    this.measured.set(`${profileId}/${oid}`, m);
    this.redraw();
  }

  protected render(data: { rows: BloatEstimate[]; profileId: string; database: string }): DiagNode[] {
    const id = this.viewId;
    if (data.rows.length === 0)
      return [
        messageNode(`${id}/none`, `No tables or btree indexes with pages in "${data.database}"`, {
          icon: 'circle-slash',
          detail: 'Bloat is estimated per database: connect a profile to the database you want to inspect.',
        }),
      ];
    const header = messageNode(`${id}/about`, `Estimated from statistics in "${data.database}"`, {
      icon: 'info',
      detail: 'Measure exactly from the item menu',
      tooltip:
        'Estimates compare relpages with the pages reltuples rows of the average width would need (pg_stats). Stale statistics make them wrong: run ANALYZE.',
    });
    return [header, ...data.rows.map((b) => this.node(b, data.profileId, data.database))];
  }

  private node(b: BloatEstimate, profileId: string, database: string): DiagNode<BloatPayload> {
    const exact = this.measured.get(`${profileId}/${b.oid}`);
    const item = new vscode.TreeItem(`${b.schema}.${b.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.viewId}/${profileId}/${b.oid}`;
    item.description =
      `${b.kind} · ~${b.bloatPct}% · wastes ~${formatBytes(b.wastedBytes)} of ` +
      `${formatBytes(b.sizeBytes)}${exact ? ` · measured ${exact.bloatPct}%` : ''}`;
    item.iconPath = b.unreliable
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon(b.kind === 'table' ? 'table' : 'list-tree');
    item.contextValue = `pgops.bloat+${b.kind}${b.unreliable ? '+unreliable' : ''}`;
    item.tooltip = `${b.schema}.${b.name} (${b.kind}${b.table ? ` on ${b.table}` : ''})\n${item.description}${b.unreliable ? `\n⚠ ${b.unreliable}` : ''}`;
    const pid = item.id;
    const children: DiagNode[] = [];
    if (b.unreliable)
      children.push(messageNode(`${pid}/unreliable`, `Estimate unreliable: ${b.unreliable}`, { icon: 'warning' }));
    if (b.table) children.push(detailNode(pid, 'table', b.table));
    children.push(
      detailNode(pid, 'size', formatBytes(b.sizeBytes)),
      detailNode(pid, 'estimated waste', `${formatBytes(b.wastedBytes)} (${b.bloatPct}%)`),
      detailNode(pid, 'fillfactor', String(b.fillfactor)),
      detailNode(pid, 'last vacuum', b.lastVacuum ?? 'never'),
      detailNode(pid, 'last analyze', b.lastAnalyze ?? 'never'),
    );
    if (exact)
      children.push(
        detailNode(
          pid,
          `measured (${exact.method})`,
          `${formatBytes(exact.wastedBytes)} of ${formatBytes(exact.sizeBytes)} (${exact.bloatPct}%)`,
          'beaker',
        ),
      );
    return new DiagNode<BloatPayload>(item, children, { estimate: b, profileId, database });
  }
}

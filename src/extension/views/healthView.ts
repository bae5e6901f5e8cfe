import * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import type { HealthDetail, HealthResult, HealthStatus } from '../../core/ops/health';
import { formatHealthValue, formatThreshold, runHealthChecks } from '../../core/ops/health';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { healthSettings } from '../settings';
import type { DiagContext } from './diagTree';
import { DiagNode, DiagTreeProvider, detailNode, messageNode } from './diagTree';

export interface HealthPayload {
  result: HealthResult;
  profileId: string;
}

interface HealthData {
  results: HealthResult[];
  database: string;
  profileId: string;
}

/** Codicon and theme colour of each status. */
const looks: Record<HealthStatus, { icon: string; color: string }> = {
  fail: { icon: 'error', color: 'errorForeground' },
  warn: { icon: 'warning', color: 'list.warningForeground' },
  unknown: { icon: 'question', color: 'disabledForeground' },
  ok: { icon: 'pass', color: 'testing.iconPassed' },
};

/** The order of the rows and of the summary: what needs action first. */
const statusOrder: readonly HealthStatus[] = ['fail', 'warn', 'unknown', 'ok'];

const statusIcon = (s: HealthStatus) => new vscode.ThemeIcon(looks[s].icon, new vscode.ThemeColor(looks[s].color));

/** A detail row's value as text: numbers of bytes readable, the rest as they are. */
function detailValue(key: string, v: HealthDetail[string]): string {
  if (typeof v === 'number' && /bytes$/i.test(key)) return formatHealthValue(v, 'bytes');
  return v === null ? '—' : String(v);
}

/** The health checks of the active connection (`pgops health`), with their thresholds from pgops.health.*. */
export class HealthView extends DiagTreeProvider<HealthData> {
  constructor(sessions: SessionManager, profiles: ProfileStore, logger: Logger) {
    super('pgops.health', sessions, profiles, logger);
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.health')) this.invalidate();
      }),
    );
  }

  protected async load(ctx: DiagContext): Promise<HealthData> {
    // the settings are read (and checked) first: a bad threshold is the view's error row, naming the setting
    const options = healthSettings();
    const db = (await ctx.client.query<{ db: string }>('SELECT pg_catalog.current_database() AS db')).rows[0].db;
    return { results: await runHealthChecks(ctx.client, { options }), database: db, profileId: ctx.profile.id };
  }

  protected render(data: HealthData): DiagNode[] {
    // A DBA opens this view to find what needs action: failing and warning checks come first (then the ones
    // pgops could not tell, then the fine ones), each group in the standard order of `pgops health`.
    const rank = (r: HealthResult) => statusOrder.indexOf(r.status);
    const sorted = data.results.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i);
    return [this.summary(data), ...sorted.map(({ r }) => this.checkNode(r, data.profileId))];
  }

  private summary(data: HealthData): DiagNode {
    const counts = statusOrder
      .map((s) => ({ s, n: data.results.filter((r) => r.status === s).length }))
      .filter((c) => c.n > 0);
    const worst = counts[0]?.s ?? 'ok';
    const label = counts.map((c) => `${c.n} ${c.s}`).join(' · ') || 'No checks ran';
    const node = messageNode(`${this.viewId}/summary`, label, {
      icon: looks[worst].icon,
      color: looks[worst].color,
      detail: `database "${data.database}"`,
      tooltip:
        `${label}\nChecked in database "${data.database}" (indexes and sequences are per database; the rest is ` +
        'server-wide).\nThresholds: the pgops.health.thresholds setting.',
    });
    return node;
  }

  private checkNode(r: HealthResult, profileId: string): DiagNode<HealthPayload> {
    const item = new vscode.TreeItem(r.id, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.viewId}/${profileId}/${r.id}`;
    const threshold = formatThreshold(r.threshold, r.unit);
    item.description = [r.status, formatHealthValue(r.value, r.unit), threshold].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(r.status);
    // +leftovers: invalid indexes, which an interrupted REINDEX CONCURRENTLY or pg_repack leaves (Clean Up…)
    const leftovers = r.id === 'invalid-indexes' && r.status !== 'ok' ? '+leftovers' : '';
    item.contextValue = `pgops.healthCheck+${r.status}${r.fix ? '+fix' : ''}${leftovers}`;
    item.tooltip = `${r.id}: ${r.status}\n${r.message}${r.fix ? `\n\nFix:\n${r.fix}` : ''}`;
    const pid = item.id;
    const children: DiagNode[] = [messageNode(`${pid}/message`, r.message, { icon: 'info', tooltip: r.message })];
    if (threshold) children.push(detailNode(pid, 'threshold', threshold, 'settings-gear'));
    if (r.fix)
      children.push(
        messageNode(`${pid}/fix`, 'fix', {
          icon: 'lightbulb',
          detail: r.fix.split('\n')[0],
          tooltip: `Open in an untitled SQL editor:\n${r.fix}`,
          command: { title: 'Open Fix in Editor', command: 'pgops.openDiagFix', arguments: [r.fix] },
        }),
      );
    r.details.forEach((d, i) => {
      const pairs = Object.entries(d).map(([k, v]) => `${k}=${detailValue(k, v)}`);
      children.push(detailNode(`${pid}/detail`, `#${i + 1}`, pairs.join(' · '), 'symbol-field'));
    });
    return new DiagNode<HealthPayload>(item, children, { result: r, profileId });
  }
}

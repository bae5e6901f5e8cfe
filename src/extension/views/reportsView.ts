import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { markdownText } from '../../core/markdown';
import { readReport } from '../../core/report/read';
import type { ReportSummary } from '../../core/report/summary';
import { summarizeReport } from '../../core/report/summary';
import { Disposable } from '../disposable';
import { config } from '../settings';
import { untrustedMarkdown } from '../ui';

/** A report file found in the workspace or the configured folder, with what the tree shows of it. */
export class ReportNode {
  constructor(
    readonly uri: vscode.Uri,
    readonly summary: ReportSummary | undefined,
    readonly problem: string | undefined,
    readonly mtime: number,
  ) {}

  get date(): string {
    const iso = this.summary?.startedAt ?? new Date(this.mtime).toISOString();
    return iso.slice(0, 10);
  }

  getTreeItem(): vscode.TreeItem {
    const s = this.summary;
    const item = new vscode.TreeItem(s?.name ?? path.basename(this.uri.fsPath), vscode.TreeItemCollapsibleState.None);
    item.id = `report:${this.uri.toString()}`;
    item.resourceUri = this.uri;
    if (!s) {
      item.description = 'cannot be read';
      item.tooltip = this.problem;
      item.iconPath = new vscode.ThemeIcon('warning');
    } else {
      const tps = s.maxTps === null ? 'no results' : `${Math.round(s.maxTps).toLocaleString('en-US')} tps max`;
      item.description = s.joined ? 'joined comparison' : `${tps}${s.status === 'complete' ? '' : ` · ${s.status}`}`;
      item.tooltip = untrustedMarkdown(
        [s.name, this.uri.fsPath, s.serverVersion ?? '', s.when].map(markdownText).join('\n\n'),
      );
      item.iconPath = new vscode.ThemeIcon(
        s.joined ? 'diff-multiple' : s.status === 'complete' ? 'graph-line' : 'warning',
      );
    }
    item.contextValue = `pgops.report+${this.uri.fsPath.endsWith('.pgperf.json') ? 'pgops' : 'perfbench'}${s?.joined ? '+joined' : ''}`;
    item.command = { command: 'pgops.openReport', title: 'Open Report', arguments: [this.uri] };
    return item;
  }
}

class DateNode {
  constructor(
    readonly date: string,
    readonly reports: ReportNode[],
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.date, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `date:${this.date}`;
    item.description = `${this.reports.length} report${this.reports.length === 1 ? '' : 's'}`;
    item.iconPath = new vscode.ThemeIcon('calendar');
    item.contextValue = 'pgops.reportDate';
    return item;
  }
}

type Node = DateNode | ReportNode;

/**
 * The folder pgbench sweeps write to (`pgops.bench.reportsFolder`: absolute, or relative to the
 * first workspace folder); the view lists it even when it lies outside the workspace.
 */
export function configuredReportsFolder(): string | undefined {
  const setting = config().get<string>('bench.reportsFolder', '').trim();
  if (!setting) return undefined;
  if (path.isAbsolute(setting)) return setting;
  const ws = vscode.workspace.workspaceFolders?.[0];
  return ws ? path.join(ws.uri.fsPath, setting) : undefined;
}

/**
 * The Benchmark Reports view: `*.pgperf.json` in the workspace folders, and every report (`*.json`
 * that reads as one) in the configured folder, grouped by run date, newest first.
 */
export class ReportsView extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private readonly cache = new Map<string, ReportNode>();
  private nodes: Promise<ReportNode[]> | undefined;

  constructor(private readonly logger: Logger) {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*.{pgperf.json,json}'));
    const onFs = (uri: vscode.Uri) => {
      if (uri.fsPath.endsWith('.pgperf.json') || this.inConfiguredFolder(uri)) this.refresh();
    };
    this.register(watcher.onDidCreate(onFs));
    this.register(watcher.onDidChange(onFs));
    this.register(watcher.onDidDelete(onFs));
    // Deleting a folder reports the folder alone, not the reports that were inside it.
    const folders = this.register(vscode.workspace.createFileSystemWatcher('**', true, true, false));
    this.register(
      folders.onDidDelete((uri) => {
        const inside = uri.fsPath + path.sep;
        const gone = [...this.cache.keys()].filter((f) => f.startsWith(inside));
        for (const f of gone) this.cache.delete(f);
        if (gone.length) this.refresh();
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.bench.reportsFolder')) this.refresh();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
  }

  refresh(): void {
    this.nodes = undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node instanceof DateNode) return node.reports;
    if (node) return [];
    const reports = await this.reports();
    const byDate = new Map<string, ReportNode[]>();
    for (const r of reports) byDate.set(r.date, [...(byDate.get(r.date) ?? []), r]);
    return [...byDate.entries()]
      .sort((a, b) => b[0].localeCompare(a[0]))
      .map(
        ([d, rs]) =>
          new DateNode(
            d,
            rs.sort((a, b) => b.mtime - a.mtime),
          ),
      );
  }

  /** Every report node currently listed (for commands and tests). */
  reports(): Promise<ReportNode[]> {
    this.nodes ??= this.scan();
    return this.nodes;
  }

  private inConfiguredFolder(uri: vscode.Uri): boolean {
    const folder = configuredReportsFolder();
    return !!folder && path.dirname(uri.fsPath) === path.resolve(folder);
  }

  private async scan(): Promise<ReportNode[]> {
    const files = new Set<string>();
    for (const uri of await vscode.workspace.findFiles('**/*.pgperf.json', '**/node_modules/**', 2000))
      files.add(uri.fsPath);
    const folder = configuredReportsFolder();
    if (folder && fs.existsSync(folder)) {
      for (const name of fs.readdirSync(folder))
        if (name.endsWith('.json') && !name.endsWith('.pgbench-plan.json')) files.add(path.join(folder, name));
    }
    const nodes: ReportNode[] = [];
    for (const file of files) {
      const node = this.read(file, file.endsWith('.pgperf.json'));
      if (node) nodes.push(node);
    }
    return nodes;
  }

  /** Reads a file once per modification time. Plain `.json` that is no report is left out; a broken `.pgperf.json` is listed with its problem. */
  private read(file: string, ours: boolean): ReportNode | undefined {
    let mtime: number;
    try {
      mtime = fs.statSync(file).mtimeMs;
    } catch {
      return undefined;
    }
    const cached = this.cache.get(file);
    if (cached && cached.mtime === mtime) return cached;
    let node: ReportNode | undefined;
    try {
      node = new ReportNode(vscode.Uri.file(file), summarizeReport(readReport(file)), undefined, mtime);
    } catch (err) {
      if (ours) node = new ReportNode(vscode.Uri.file(file), undefined, describeError(err), mtime);
      else this.logger.debug(`Benchmark Reports: ${file} is not a report (${describeError(err)})`);
    }
    if (node) this.cache.set(file, node);
    return node;
  }
}

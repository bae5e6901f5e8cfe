import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PgOpsError } from '../../core/errors';
import { jsonEqual } from '../../core/report/compare';
import { renderReportHtml, reportDataElementId } from '../../core/report/html';
import { joinReports } from '../../core/report/join';
import type { JoinTask } from '../../core/report/joinTask';
import { joinCandidates, readJoinTask } from '../../core/report/joinTask';
import type { Report } from '../../core/report/model';
import { readReport } from '../../core/report/read';
import { htmlSiblingOf, reportFileAt, writeReportFiles } from '../../core/report/files';
import { writeFileAtomic } from '../../core/report/write';
import type { ExtensionServices } from '../context';
import { reportViewType } from '../editors/reportEditor';
import { configuredReportsFolder, ReportNode } from '../views/reportsView';
import type { CommandGroup } from './index';

/** A report's URI from what VS Code passes: a tree node, a URI (explorer, editor title), or the active viewer tab. */
function uriOf(s: ExtensionServices, arg: unknown): vscode.Uri | undefined {
  if (arg instanceof ReportNode) return arg.uri;
  if (arg instanceof vscode.Uri) return arg;
  return s.reportEditor.activeReport() ?? vscode.window.activeTextEditor?.document.uri;
}

/** The multi-selection: VS Code passes (clicked, selected[]) from trees and the explorer. */
function urisOf(s: ExtensionServices, clicked: unknown, selected: unknown): vscode.Uri[] {
  const all = Array.isArray(selected) && selected.length > 0 ? selected : clicked ? [clicked] : [];
  const uris = all.map((a) => uriOf(s, a)).filter((u): u is vscode.Uri => !!u);
  return [...new Map(uris.map((u) => [u.toString(), u])).values()];
}

const timestamp = () => new Date().toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');

export function reportsCommands(s: ExtensionServices) {
  return {
    'pgops.refreshReports': () => s.views.reports.refresh(),
    'pgops.openReport': async (arg) => {
      const uri =
        uriOf(s, arg) ??
        (
          await vscode.window.showOpenDialog({
            canSelectMany: false,
            filters: { 'Benchmark reports': ['json'] },
            title: 'Open a benchmark report',
          })
        )?.[0];
      if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, reportViewType);
    },
    'pgops.revealReport': async (arg) => {
      const uri = uriOf(s, arg);
      if (!uri) return;
      if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
      else await vscode.commands.executeCommand('revealFileInOS', uri);
    },
    'pgops.deleteReport': async (clicked, selected) => {
      const uris = urisOf(s, clicked, selected);
      if (uris.length === 0) return;
      const names = uris.map((u) => path.basename(u.fsPath));
      const answer = await vscode.window.showWarningMessage(
        uris.length === 1 ? `Delete the report ${names[0]}?` : `Delete ${uris.length} reports?`,
        { modal: true, detail: `${names.join('\n')}\n\nThe files (and their .html next to them) go to the trash.` },
        'Move to Trash',
      );
      if (answer !== 'Move to Trash') return;
      const targets = uris.flatMap((uri) => {
        const html = htmlSiblingOf(uri.fsPath);
        return html !== uri.fsPath && fs.existsSync(html) ? [uri, vscode.Uri.file(html)] : [uri];
      });
      await deleteToTrash(targets);
      s.views.reports.refresh();
    },
    'pgops.exportReportHtml': async (arg) => {
      const uri = uriOf(s, arg);
      if (!uri)
        throw new PgOpsError(
          'report.noReport',
          'no report to export',
          'Run Export HTML from a report tab, the Benchmark Reports view or a report file in the explorer.',
        );
      const report = readReport(uri.fsPath);
      // Next to the report, like `pgops report html`; ask only when that would replace a file pgops did not write
      // (e.g. pg_perfbench's own HTML of the same report).
      const sibling = vscode.Uri.file(htmlSiblingOf(uri.fsPath));
      const ours =
        !fs.existsSync(sibling.fsPath) ||
        fs.readFileSync(sibling.fsPath, 'utf8').includes(`id="${reportDataElementId}"`);
      const target = ours
        ? sibling
        : await vscode.window.showSaveDialog({
            defaultUri: sibling,
            filters: { HTML: ['html'] },
            title: `${path.basename(sibling.fsPath)} exists and was not written by pgops: export the report to`,
          });
      if (!target) return;
      writeFileAtomic(target.fsPath, renderReportHtml(report));
      const open = await vscode.window.showInformationMessage(
        `Exported ${path.basename(target.fsPath)}`,
        'Open in Browser',
        'Reveal',
      );
      if (open === 'Open in Browser') await vscode.env.openExternal(target);
      else if (open === 'Reveal') await vscode.commands.executeCommand('pgops.revealReport', target);
    },
    'pgops.compareReports': async (clicked, selected) => compareReports(s, urisOf(s, clicked, selected)),
  } satisfies CommandGroup;
}

/** To the trash; where the file system has none (e.g. some remote hosts), only after a second, explicit confirmation. */
async function deleteToTrash(uris: vscode.Uri[]): Promise<void> {
  try {
    for (const uri of uris) await vscode.workspace.fs.delete(uri, { useTrash: true });
  } catch (err) {
    const left = uris.filter((u) => fs.existsSync(u.fsPath));
    if (left.length === 0) return;
    const answer = await vscode.window.showWarningMessage(
      'The trash is not available here. Delete permanently?',
      { modal: true, detail: `${(err as Error).message}\n\n${left.map((u) => path.basename(u.fsPath)).join('\n')}` },
      'Delete Permanently',
    );
    if (answer !== 'Delete Permanently') return;
    for (const uri of left) await vscode.workspace.fs.delete(uri, { useTrash: false });
  }
}

async function compareReports(s: ExtensionServices, picked: vscode.Uri[]): Promise<void> {
  let uris = picked;
  if (uris.length < 2) {
    uris =
      (await vscode.window.showOpenDialog({
        canSelectMany: true,
        filters: { 'Benchmark reports': ['json'] },
        title: 'Choose the reports to compare (two or more)',
      })) ?? [];
    if (uris.length === 0) return;
  }
  if (uris.length < 2)
    throw new PgOpsError(
      'join.inputs',
      'choose at least two reports to compare',
      'Select two or more reports (Ctrl/Cmd+click) in the Benchmark Reports view or the explorer.',
    );
  const inputs = uris.map((u) => ({ file: u.fsPath, report: readReport(u.fsPath) }));
  const task = await pickTask(
    s,
    inputs.map((i) => i.report),
  );
  if (!task) return;
  const reference = await vscode.window.showQuickPick(
    inputs.map((i) => ({ label: i.report.report_name, description: path.basename(i.file), file: i.file })),
    { title: 'Compare Reports: the reference report (ratios are against it)' },
  );
  if (!reference) return;
  const reportName = await vscode.window.showInputBox({
    title: 'Compare Reports: name of the merged report',
    value: `join_report_${timestamp()}`,
    validateInput: (v) => (v.trim() ? undefined : 'Enter a name'),
  });
  if (!reportName) return;
  const merged = joinReports(inputs, { task, reference: path.basename(reference.file), reportName: reportName.trim() });
  const outDir = configuredReportsFolder() ?? path.dirname(uris[0].fsPath);
  const paths = writeReportFiles(reportFileAt({ folder: outDir }, merged.report_name), merged, { htmlRequired: true });
  s.views.reports.refresh();
  await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(paths.json), reportViewType);
}

/** A bundled task, a task file, or an ad-hoc checklist of the items the reports share. */
async function pickTask(s: ExtensionServices, reports: Report[]): Promise<JoinTask | undefined> {
  const dir = vscode.Uri.joinPath(s.context.extensionUri, 'media', 'join-tasks').fsPath;
  const bundled = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => readJoinTask(path.join(dir, f)))
    : [];
  type Choice = vscode.QuickPickItem & { task?: JoinTask; kind2: 'task' | 'file' | 'adhoc' };
  const choices: Choice[] = [
    ...bundled.map((t) => ({
      label: path.basename(t.file ?? '', '.json'),
      detail: t.description,
      task: t,
      kind2: 'task' as const,
    })),
    { label: '$(file) Choose a task file…', kind2: 'file' },
    { label: '$(checklist) Ad hoc: choose the items that must be equal…', kind2: 'adhoc' },
  ];
  const choice = await vscode.window.showQuickPick(choices, {
    title: 'Compare Reports: join task (the items that must be equal in all reports)',
    matchOnDetail: true,
  });
  if (!choice) return undefined;
  if (choice.kind2 === 'task') return choice.task;
  if (choice.kind2 === 'file') {
    const file = (
      await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { 'Join task': ['json'] },
        title: 'Join task file',
      })
    )?.[0];
    return file ? readJoinTask(file.fsPath) : undefined;
  }
  const candidates = joinCandidates(reports, (a, b) => jsonEqual(a as never, b as never));
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({
      label: c.path,
      description: c.header,
      detail: c.equal ? 'equal in all reports' : 'differs between the reports',
      picked: c.equal && /version_major|pg_available_extensions|options/.test(c.path),
      path: c.path,
    })),
    { canPickMany: true, title: 'Compare Reports: items that must be equal', matchOnDescription: true },
  );
  if (!picked || picked.length === 0) return undefined;
  return { description: 'ad hoc', items: picked.map((p) => p.path) };
}

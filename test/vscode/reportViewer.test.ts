/**
 * The report viewer and the Benchmark Reports view inside a real extension host: `*.pgperf.json`
 * opens in the custom editor by default, pg_perfbench `.json` through "Open With", and the view
 * lists the workspace's reports grouped by date with their best tps.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { labelOf, pgops, treeItems, waitFor } from '../support/vscodeHost';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const fixture = path.join(repoRoot, 'test', 'fixtures', 'reports', 'perfbench', 'same-host', 'benchmark-config-a.json');

function customTabs(): vscode.TabInputCustom[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .map((t) => t.input)
    .filter((i): i is vscode.TabInputCustom => i instanceof vscode.TabInputCustom);
}

describe('report viewer and Benchmark Reports view (in the extension host)', () => {
  let dir: string;
  const files: string[] = [];

  before(async () => {
    await pgops();
    const ws = vscode.workspace.workspaceFolders?.[0];
    assert.ok(ws, 'the test workbench opens a folder');
    dir = path.join(ws.uri.fsPath, 'host-reports');
    fs.mkdirSync(dir, { recursive: true });
    for (const name of ['host-a.pgperf.json', 'host-b.json']) {
      const report = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { report_name: string };
      report.report_name = name.replace(/\..*$/, '');
      fs.writeFileSync(path.join(dir, name), JSON.stringify(report));
      files.push(path.join(dir, name));
    }
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
    // Later suites expect an empty view; do not wait for the file watcher.
    (await pgops()).services.views.reports.refresh();
  });

  it('opens *.pgperf.json in the report viewer by default', async () => {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(files[0]));
    const tab = await waitFor('a report viewer tab', () => customTabs().find((t) => t.uri.fsPath === files[0]));
    assert.equal(tab.viewType, 'pgops.reportViewer');
  });

  it('opens a pg_perfbench .json in the viewer through Open With (pgops.openReport)', async () => {
    await vscode.commands.executeCommand('pgops.openReport', vscode.Uri.file(files[1]));
    const tab = await waitFor('the pg_perfbench report tab', () => customTabs().find((t) => t.uri.fsPath === files[1]));
    assert.equal(tab.viewType, 'pgops.reportViewer');
  });

  it('drops the reports of a folder deleted or moved away from Benchmark Reports without a refresh', async () => {
    const view = (await pgops()).services.views.reports;
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const gone = path.join(ws, 'host-reports-deleted');
    fs.mkdirSync(gone, { recursive: true });
    const report = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { report_name: string };
    report.report_name = 'host-gone';
    fs.writeFileSync(path.join(gone, 'host-gone.pgperf.json'), JSON.stringify(report));
    const listed = async () => (await view.reports()).some((r) => r.uri.fsPath.startsWith(gone + path.sep));
    await waitFor('the new report listed', async () => ((await listed()) ? true : undefined));
    // moved out of the workspace: the watcher reports the folder alone, never the report inside it (as for an rm -r
    // whose events arrive in one batch, which VS Code coalesces into the folder's)
    const away = fs.mkdtempSync(path.join(path.dirname(ws), 'moved-reports-'));
    fs.renameSync(gone, path.join(away, 'host-reports-deleted'));
    fs.rmSync(away, { recursive: true, force: true });
    await waitFor('the report of the deleted folder gone from the view', async () =>
      (await listed()) ? undefined : true,
    );
  });

  it('lists the workspace report in Benchmark Reports under its date, with its best tps', async () => {
    const api = await pgops();
    const view = api.services.views.reports;
    view.refresh();
    const found = await waitFor('host-a in the Benchmark Reports view', async () => {
      for (const { node } of await treeItems(view)) {
        const hit = (await treeItems(view, node)).find(({ item }) => labelOf(item) === 'host-a');
        if (hit) return hit;
      }
      return undefined;
    });
    assert.equal(found.item.description, '3,010 tps max');
    assert.match(found.item.contextValue ?? '', /^pgops\.report\+pgops/);
    const dates = (await treeItems(view)).map(({ item }) => labelOf(item));
    assert.ok(
      dates.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)),
      dates.join(', '),
    );
  });
});

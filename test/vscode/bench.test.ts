/**
 * Run pgbench Sweep inside a real VS Code on the local sandbox (PostgreSQL 18, pgbench 15 from the
 * system): a 2-iteration sweep completes and its report shows up in Benchmark Reports; a second run
 * cancelled after its first iteration keeps that iteration in a report marked interrupted.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Report } from '../../src/core/report';
import { labelOf, pgops, treeItems, waitFor } from '../support/vscodeHost';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Report;

describe('Run pgbench Sweep on the sandbox (in the extension host)', function () {
  this.timeout(180_000);
  let reportsDir: string;
  const written: string[] = [];

  before(async () => {
    await pgops();
    const ws = vscode.workspace.workspaceFolders?.[0];
    assert.ok(ws, 'the test workbench opens a folder');
    reportsDir = path.join(ws.uri.fsPath, 'pgbench-reports');
    const started = await vscode.commands.executeCommand<{ port: number } | undefined>('pgops.startSandbox');
    assert.ok(started, 'Start Local Sandbox failed (see the Postgres Ops log)');
  });

  after(async () => {
    for (const f of written) fs.rmSync(f, { force: true });
    for (const f of written) fs.rmSync(f.replace(/\.pgperf\.json$/, '.html'), { force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('pgops.stopSandbox');
  });

  it('runs two iterations with progress, writes the report and lists it in Benchmark Reports', async () => {
    const file = await vscode.commands.executeCommand<string | undefined>('pgops.runBenchSweep', 'sandbox', {
      reportName: 'vscode-sweep',
      values: [1, 2],
      durationS: 2,
      scale: 1,
      topStatements: 3,
    });
    assert.ok(file, 'the command returned no report (it showed an error; see the Postgres Ops log)');
    written.push(file);
    assert.equal(path.dirname(file), reportsDir);
    const report = readJson(file);
    assert.equal(report.pgops?.status, 'complete', JSON.stringify(report.pgops?.error));
    assert.deepEqual(
      report.pgops?.iterations.map((i) => [i.clients, i.status]),
      [
        [1, 'complete'],
        [2, 'complete'],
      ],
    );
    assert.ok(report.pgops?.iterations.every((i) => (i.series ?? []).length >= 1 && (i.tps ?? 0) > 0));
    assert.ok(fs.existsSync(file.replace(/\.pgperf\.json$/, '.html')));
    const api = await pgops();
    const view = api.services.views.reports as vscode.TreeDataProvider<unknown> & { refresh(): void };
    view.refresh();
    await waitFor('vscode-sweep in the Benchmark Reports view', async () => {
      for (const { node } of await treeItems(view)) {
        const hit = (await treeItems(view, node)).find(({ item }) => labelOf(item) === 'vscode-sweep');
        if (hit) return hit;
      }
      return undefined;
    });
  });

  it('cancelled after the first iteration, keeps it in a report marked interrupted', async () => {
    const file = path.join(reportsDir, 'vscode-cancelled.pgperf.json');
    written.push(file);
    const run = vscode.commands.executeCommand<string | undefined>('pgops.runBenchSweep', 'sandbox', {
      reportName: 'vscode-cancelled',
      values: [1, 2],
      durationS: 3,
      scale: 1,
      init: 'never',
      topStatements: 0,
    });
    // the report is rewritten after every finished iteration: cancel once the first one is in it
    await waitFor(
      'the report after the first iteration',
      () => (fs.existsSync(file) && (readJson(file).pgops?.iterations.length ?? 0) >= 1 ? true : undefined),
      60_000,
    );
    await vscode.commands.executeCommand('pgops.cancelBenchSweep');
    assert.equal(await run, file);
    const report = readJson(file);
    assert.equal(report.pgops?.status, 'interrupted');
    assert.equal(report.pgops?.iterations[0].status, 'complete');
    assert.equal((report.sections.result.reports.pgbench_outputs.data as unknown[]).length, 1);
  });
});

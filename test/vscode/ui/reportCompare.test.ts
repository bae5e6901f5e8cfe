/**
 * Compare Reports and Delete from the Benchmark Reports view, as a user does it: multi-select two
 * reports, Compare Reports… with an ad-hoc task, the merged report opens in the viewer; then the
 * merged report is deleted after the confirmation. Last, Compare Reports… from the Explorer's
 * context menu on two selected report files.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { newReport, pgbenchOutputsItem, plainTextItem, setItem, tableItem } from '../../../src/core/report/items';
import type { IterationResult, Report } from '../../../src/core/report/model';
import { writeReportAtomic } from '../../../src/core/report/write';
import {
  activityBarItem,
  contextMenuEntry,
  openPostgresOps,
  screenshot,
  screenshotOnFailure,
  showAllPanes,
  showOnlyPanes,
  sideBar,
  treeRow,
  viewPane,
  workbench,
  uiWaitMs,
  until,
} from '../../support/vscodeWorkbench';

function report(name: string, tpsPerClient: number, sharedBuffers: string): Report {
  const r = newReport({ reportName: name });
  const its: IterationResult[] = [1, 2].map((c, index) => ({
    index,
    value: c,
    clients: c,
    status: 'complete',
    tps: tpsPerClient * c,
    latencyAvgMs: 1,
    latencyStddevMs: 0.2,
    initialConnectionMs: 2,
    processed: 100,
    failed: 0,
    skipped: 0,
    durationS: 3,
  }));
  (r.pgops as NonNullable<Report['pgops']>).iterations = its;
  setItem(r, 'db', 'version_major', plainTextItem('PostgreSQL major version', 'PostgreSQL 18.1', { state: 'hidden' }));
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem(
      'PostgreSQL settings',
      ['name', 'setting'],
      [
        ['shared_buffers', sharedBuffers],
        ['work_mem', '4096'],
      ],
    ),
  );
  setItem(r, 'result', 'pgbench_outputs', pgbenchOutputsItem(its));
  return r;
}

describe('Compare Reports and Delete in the Benchmark Reports view (UI)', () => {
  let dir: string;
  let merged: string;
  let fromExplorer: string;
  before(() => {
    const { workspace } = workbench();
    dir = path.join(workspace, 'ui-compare');
    fs.mkdirSync(dir, { recursive: true });
    writeReportAtomic(path.join(dir, 'cmp-a.pgperf.json'), report('cmp-a', 1000, '16384'));
    writeReportAtomic(path.join(dir, 'cmp-b.pgperf.json'), report('cmp-b', 1500, '32768'));
    merged = path.join(workspace, 'pgbench-reports', 'ui-joined.pgperf.json');
    fromExplorer = path.join(workspace, 'pgbench-reports', 'ui-explorer-joined.pgperf.json');
  });
  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });
  after(async () => {
    await showAllPanes(workbench().page);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const file of [merged, fromExplorer]) {
      fs.rmSync(file, { force: true });
      fs.rmSync(file.replace(/\.pgperf\.json$/, '.html'), { force: true });
    }
  });

  it('compares two selected reports with an ad-hoc task and opens the merged report in the viewer', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    await showOnlyPanes(page, ['Benchmark Reports']);
    const pane = viewPane(page, 'Benchmark Reports');
    const a = treeRow(pane, 'cmp-a');
    const b = treeRow(pane, 'cmp-b');
    await a.waitFor({ state: 'visible', timeout: uiWaitMs });
    await b.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await a.innerText(), /2,000 tps max/);
    await a.click();
    await b.click({ modifiers: ['Control'] });
    await contextMenuEntry(page, b, 'Compare Reports');

    const quick = page.locator('.quick-input-widget');
    const row = (text: string | RegExp) =>
      quick.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row(/Ad hoc/).click();
    // The checklist: items both reports have; version_major is equal and preselected.
    const version = row('sections.db.reports.version_major.data');
    await version.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await version.innerText(), /equal in all reports/);
    assert.match(await row('sections.db.reports.pg_settings.data').innerText(), /differs between the reports/);
    await screenshot('compare-adhoc-checklist');
    await page.keyboard.press('Enter');
    await row('cmp-a').click();
    const input = quick.locator('input');
    await input.fill('ui-joined');
    await page.keyboard.press('Enter');

    await page
      .locator('.tab.active', { hasText: 'ui-joined.pgperf.json' })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.ok(fs.existsSync(merged), `${merged} written`);
    const viewer = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    await viewer.locator('table.results tbody tr').first().waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.equal(await viewer.locator('table.results tbody tr').count(), 4, 'two iterations of each report');
    assert.match(await viewer.locator('body').innerText(), /Compared 2 reports against the reference "cmp-a"/);
    await screenshot('compare-merged-report');
  });

  it('deletes the merged report after the confirmation', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    await showOnlyPanes(page, ['Benchmark Reports']);
    const row = treeRow(viewPane(page, 'Benchmark Reports'), 'ui-joined');
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await contextMenuEntry(page, row, 'Delete Report');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await dialog.innerText(), /Delete the report ui-joined\.pgperf\.json\?/);
    await dialog.locator('.monaco-button', { hasText: 'Move to Trash' }).click();
    // A host without a trash asks once more before deleting for good. The report and its HTML are deleted one
    // after the other: wait for both, answering that question if it comes.
    const permanently = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Delete Permanently' });
    const mergedHtml = merged.replace(/\.pgperf\.json$/, '.html');
    await until(async () => {
      if (await permanently.isVisible()) await permanently.click().catch(() => undefined);
      return !fs.existsSync(merged) && !fs.existsSync(mergedHtml);
    });
    assert.ok(!fs.existsSync(merged), 'the merged report is gone');
    assert.ok(!fs.existsSync(mergedHtml), 'its HTML is gone');
    await row.waitFor({ state: 'detached', timeout: uiWaitMs });
    await screenshot('reports-after-delete', sideBar(page));
  });

  it('compares two report files selected in the Explorer from its context menu', async () => {
    const { page } = workbench();
    await activityBarItem(page, 'Explorer').click();
    const folders = sideBar(page).locator('.explorer-folders-view');
    await folders.waitFor({ state: 'visible', timeout: uiWaitMs });
    const folder = treeRow(folders, 'ui-compare');
    await folder.waitFor({ state: 'visible', timeout: uiWaitMs });
    const a = folders.locator('.monaco-list-row[aria-label^="cmp-a.pgperf.json"]');
    const b = folders.locator('.monaco-list-row[aria-label^="cmp-b.pgperf.json"]');
    // A click toggles the folder, and the Explorer may be expanding or collapsing it by itself (revealing the
    // active editor's file): click only while it shows collapsed, then give the rows time to appear.
    const shown = await until(async () => {
      if (await b.isVisible()) return true;
      if ((await folder.getAttribute('aria-expanded')) === 'false') await folder.click();
      return b
        .waitFor({ state: 'visible', timeout: 3000 })
        .then(() => true)
        .catch(() => false);
    });
    assert.ok(shown, 'cmp-b.pgperf.json is listed in the expanded ui-compare folder');
    await a.click();
    await b.click({ modifiers: ['Control'] });
    await page.waitForFunction(
      () => document.querySelectorAll('.explorer-folders-view .monaco-list-row.selected').length === 2,
      undefined,
      { timeout: uiWaitMs },
    );
    await contextMenuEntry(page, b, 'Compare Reports');

    const quick = page.locator('.quick-input-widget');
    const row = (text: string | RegExp) =>
      quick.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row(/Ad hoc/).click();
    await row('sections.db.reports.version_major.data').waitFor({ state: 'visible', timeout: uiWaitMs });
    await page.keyboard.press('Enter');
    await row('cmp-b').click();
    await quick.locator('input').fill('ui-explorer-joined');
    await page.keyboard.press('Enter');

    await page
      .locator('.tab.active', { hasText: 'ui-explorer-joined.pgperf.json' })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.ok(fs.existsSync(fromExplorer), `${fromExplorer} written`);
    const joined = JSON.parse(fs.readFileSync(fromExplorer, 'utf8')) as Report;
    assert.equal(joined.pgops?.join?.reference, 'cmp-b');
    assert.deepEqual(
      joined.pgops?.join?.reports.map((r) => r.file),
      ['cmp-b.pgperf.json', 'cmp-a.pgperf.json'],
    );
    const viewer = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    await viewer.locator('table.results tbody tr').first().waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await viewer.locator('body').innerText(), /Compared 2 reports against the reference "cmp-b"/);
    await screenshot('compare-from-explorer');
    // leave the side bar as the other UI tests expect it
    await openPostgresOps(page);
  });
});

/**
 * UI tests: what a user sees in the real workbench (code-server in Chromium, driven by Playwright).
 * Run by the vscode tier after the in-host suite; every test leaves a screenshot in test-results/.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  openPostgresOps,
  postgresOpsViews,
  paletteRow,
  quickOpen,
  screenshot,
  screenshotOnFailure,
  sideBar,
  treeRow,
  typeInPalette,
  viewPane,
  workbench,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

describe('Postgres Ops in the workbench (UI)', () => {
  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  it('opens from the activity bar with its eight views, the Connections view showing its welcome buttons', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    for (const name of postgresOpsViews) {
      await viewPane(page, name).locator('.pane-header').waitFor({ state: 'visible', timeout: uiWaitMs });
    }
    const welcome = viewPane(page, 'Connections').locator('.welcome-view-content');
    await welcome.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await welcome.innerText(), /No PostgreSQL connections yet/);
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.ok(
      buttons.some((b) => /Add Connection/.test(b)),
      `welcome buttons: ${buttons.join(', ')}`,
    );
    assert.ok(
      buttons.some((b) => /Start Local Sandbox/.test(b)),
      `welcome buttons: ${buttons.join(', ')}`,
    );
    await screenshot('sidebar-welcome', sideBar(page));
  });

  it('runs Start Local Sandbox from the command palette', async () => {
    const { page } = workbench();
    await typeInPalette(page, 'Postgres Ops: Start Local Sandbox');
    const row = paletteRow(page, 'Postgres Ops: Start Local Sandbox');
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('command-palette');
    await row.click();
    await openPostgresOps(page);
    await treeRow(viewPane(page, 'Connections'), 'Local sandbox (PostgreSQL 18)').waitFor({
      state: 'visible',
      timeout: uiWaitMs,
    });
  });

  it('lists the sandbox connection, connected, and expands it to show where it listens', async () => {
    const { page, sandboxPort } = workbench();
    await openPostgresOps(page);
    const pane = viewPane(page, 'Connections');
    const row = treeRow(pane, 'Local sandbox (PostgreSQL 18)');
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await row
      .locator('.label-description', { hasText: /connected · PostgreSQL 18/ })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    const user = treeRow(pane, 'user');
    await user.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.equal(await row.getAttribute('aria-expanded'), 'true');
    assert.match(await user.innerText(), /postgres/);
    const details = await pane.locator('.monaco-list-row[aria-level="2"]').allInnerTexts();
    assert.ok(
      details.some((d) => new RegExp(`\\b${sandboxPort}\\b`).test(d)),
      `a detail row names port ${sandboxPort}: ${details.join(' | ')}`,
    );
    await screenshot('sidebar-sandbox-connection', sideBar(page));
  });
});

describe('Benchmark report in the custom editor (UI)', () => {
  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  it('opens a *.pgperf.json in the report viewer and draws its chart on a canvas', async () => {
    const { page, workspace } = workbench();
    // pg_perfbench's report shape is ours too; under our file name it opens in the viewer by default.
    const fixture = path.join(
      repoRoot,
      'test',
      'fixtures',
      'reports',
      'perfbench',
      'same-host',
      'benchmark-config-a.json',
    );
    fs.copyFileSync(fixture, path.join(workspace, 'config-a.pgperf.json'));
    await typeInPalette(page, 'View: Close All Editors');
    await paletteRow(page, 'View: Close All Editors').click();
    await quickOpen(page, 'config-a.pgperf.json');

    const viewer = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    const chartPanel = viewer.locator('vscode-collapsible[data-key="result.chart"]');
    await chartPanel.waitFor({ state: 'visible', timeout: uiWaitMs });
    await chartPanel.click({ position: { x: 30, y: 10 } });
    const canvas = chartPanel.locator('canvas').first();
    await canvas.waitFor({ state: 'visible', timeout: uiWaitMs });
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
      return { width: c.width, height: c.height, painted: n };
    });
    assert.ok(painted.width > 100 && painted.height > 50, `canvas size ${painted.width}x${painted.height}`);
    assert.ok(painted.painted > 500, `chart drew ${painted.painted} pixels`);
    await chartPanel.scrollIntoViewIfNeeded();
    await screenshot('report-viewer-chart');
  });
});

/**
 * UI tests: what a user sees in the real workbench (code-server in Chromium, driven by Playwright).
 * Run by the vscode tier after the in-host suite; every test leaves a screenshot in test-results/.
 */
import * as assert from 'node:assert/strict';
import { openPostgresOps, paletteRow, screenshot, sideBar, treeRow, typeInPalette, viewPane, workbench } from '../../support/vscodeWorkbench';

const viewNames = ['Connections', 'Query Stats', 'Replication', 'Bloat', 'Benchmark Reports'];

describe('Postgres Ops in the workbench (UI)', () => {
  it('opens from the activity bar with the five views, the Connections view showing its welcome buttons', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    for (const name of viewNames) {
      await viewPane(page, name).locator('.pane-header').waitFor({ state: 'visible', timeout: 15_000 });
    }
    const welcome = viewPane(page, 'Connections').locator('.welcome-view-content');
    await welcome.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await welcome.innerText(), /No PostgreSQL connections yet/);
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.ok(buttons.some((b) => /Add Connection/.test(b)), `welcome buttons: ${buttons.join(', ')}`);
    assert.ok(buttons.some((b) => /Start Local Sandbox/.test(b)), `welcome buttons: ${buttons.join(', ')}`);
    await screenshot('sidebar-welcome', sideBar(page));
  });

  it('runs Start Local Sandbox from the command palette', async () => {
    const { page } = workbench();
    await typeInPalette(page, 'Postgres Ops: Start Local Sandbox');
    const row = paletteRow(page, 'Postgres Ops: Start Local Sandbox');
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot('command-palette');
    await row.click();
    await openPostgresOps(page);
    await treeRow(viewPane(page, 'Connections'), 'Local sandbox (PostgreSQL 18)').waitFor({ state: 'visible', timeout: 90_000 });
  });

  it('lists the sandbox connection, connected, and expands it to show where it listens', async () => {
    const { page, sandboxPort } = workbench();
    await openPostgresOps(page);
    const pane = viewPane(page, 'Connections');
    const row = treeRow(pane, 'Local sandbox (PostgreSQL 18)');
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.locator('.label-description', { hasText: /connected · PostgreSQL 18/ }).waitFor({ state: 'visible', timeout: 60_000 });
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    const port = treeRow(pane, 'port');
    await port.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await row.getAttribute('aria-expanded'), 'true');
    assert.match(await port.innerText(), new RegExp(String(sandboxPort)));
    assert.match(await treeRow(pane, 'user').innerText(), /postgres/);
    await screenshot('sidebar-sandbox-connection', sideBar(page));
  });
});

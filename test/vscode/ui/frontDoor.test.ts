/**
 * UI: the front door, as a new user meets it. The status bar names the connection the views show with a
 * readable server version; Connect runs from the palette and asks for the connection; Benchmark Reports
 * offers Start Local Sandbox only while no sandbox runs; cancelling Test Connection leaves no session
 * on the server. Against the OAuth rig's PostgreSQL 18 (its superuser signs in with SCRAM over TCP) and the
 * local sandbox.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { authenticatingBackends, countUntil } from '../../support/backends';
import {
  addWorkspaceProfiles,
  openPostgresOps,
  paletteRow,
  screenshot,
  screenshotOnFailure,
  showAllPanes,
  showOnlyPanes,
  sideBar,
  typeInPalette,
  viewPane,
  workbench,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const profile = 'ui-front-door';
const slowProfile = 'ui-front-door-slow';
const sandboxName = 'Local sandbox (PostgreSQL 18)';

/** Runs a palette command, then picks `choice` in the connection picker it opens. */
async function runWithPicker(page: Page, command: string, choice: string): Promise<void> {
  await typeInPalette(page, `Postgres Ops: ${command}`);
  await paletteRow(page, `Postgres Ops: ${command}`).click();
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: `${command}: choose a connection` }).waitFor({
    state: 'visible',
    timeout: uiWaitMs,
  });
  const exact = page.locator('.label-name', { hasText: new RegExp(`^\\s*${choice.replace(/[()]/g, '\\$&')}\\s*$`) });
  await widget.locator('.quick-input-list .monaco-list-row').filter({ has: exact }).first().click();
}

describe('The front door: status bar, Connect from the palette, welcome views, cancellable Test Connection (UI)', () => {
  let restoreSettings = (): void => undefined;
  const passfile = (): string => path.join(workbench().workspace, 'ui-front-door.pgpass');

  before(() => {
    const { server } = workbench().oauth;
    fs.writeFileSync(passfile(), `127.0.0.1:${server.port}:*:postgres:${server.password}\n`, { mode: 0o600 });
    const where = `host=127.0.0.1 port=${server.port} user=postgres dbname=postgres sslmode=disable`;
    restoreSettings = addWorkspaceProfiles([
      { name: profile, conninfo: `${where} passfile=${passfile()}` },
      // a password command that takes its time (a token service): Test Connection waits on it until cancelled
      {
        name: slowProfile,
        conninfo: `${where} passfile=/nonexistent`,
        passwordCommand: ['sh', '-c', 'sleep 30; echo never-used'],
      },
    ]);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    const { page } = workbench();
    await runWithPicker(page, 'Disconnect', profile).catch(() => undefined);
    await page.keyboard.press('Escape').catch(() => undefined);
    await showAllPanes(page);
    fs.rmSync(passfile(), { force: true });
    restoreSettings();
  });

  it('connects from the palette through the picker; the status bar and the views name it with version 18.x', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    await viewPane(page, 'Connections')
      .locator('.monaco-list-row', { hasText: profile })
      .first()
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    await runWithPicker(page, 'Connect', profile);
    const item = page.locator('.statusbar-item', { hasText: profile }).first();
    await item.filter({ hasText: /· 18\.\d+/ }).waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await item.innerText(), new RegExp(`^\\s*${profile} · 18\\.\\d+\\s*$`));
    assert.doesNotMatch(await item.innerText(), /180\d{3}/);
    const queryStats = viewPane(page, 'Query Stats').locator('.pane-header');
    await queryStats.locator('.description', { hasText: profile }).waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('front-door-status-bar');
  });

  it('cancels Test Connection from its notification, leaving no session on the server', async () => {
    const { page } = workbench();
    await runWithPicker(page, 'Test Connection', slowProfile);
    const toast = page.locator('.notification-toast', { hasText: `Testing ${slowProfile}` }).first();
    await toast.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.equal(
      await countUntil(
        () => authenticatingBackends('postgres', workbench().oauth.server.port),
        (n) => n > 0,
      ),
      1,
      'the server waits for the password command',
    );
    await screenshot('front-door-test-connection-progress');
    await toast.hover();
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await toast.waitFor({ state: 'detached', timeout: uiWaitMs });
    assert.equal(
      await countUntil(
        () => authenticatingBackends('postgres', workbench().oauth.server.port),
        (n) => n === 0,
      ),
      0,
      'no half-open session is left on the server',
    );
    const errors = page.locator('.notification-toast', { hasText: `Test Connection` });
    assert.equal(await errors.count(), 0, 'cancelling is not reported as a failure');
  });

  it('offers Start Local Sandbox in Benchmark Reports only until the sandbox runs; the status bar then names it', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    const reports = viewPane(page, 'Benchmark Reports');
    // room for the welcome content, whatever panes the tests before left open
    await showOnlyPanes(page, ['Benchmark Reports']);
    const welcome = reports.locator('.welcome-view-content');
    await welcome.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.ok(
      (await welcome.locator('.monaco-button').allInnerTexts()).some((b) => /Start Local Sandbox/.test(b)),
      'offered before the sandbox runs',
    );

    await typeInPalette(page, 'Postgres Ops: Start Local Sandbox');
    await paletteRow(page, 'Postgres Ops: Start Local Sandbox').click();
    const item = page.locator('.statusbar-item', { hasText: sandboxName }).first();
    await item.filter({ hasText: /· 18\.\d+/ }).waitFor({ state: 'visible', timeout: uiWaitMs });
    await welcome.locator('.monaco-button', { hasText: 'Run pgbench Sweep' }).waitFor({
      state: 'visible',
      timeout: uiWaitMs,
    });
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.ok(!buttons.some((b) => /Start Local Sandbox/.test(b)), `buttons while it runs: ${buttons.join(', ')}`);
    await screenshot('front-door-sandbox-running', sideBar(page));

    await typeInPalette(page, 'Postgres Ops: Stop Local Sandbox');
    await paletteRow(page, 'Postgres Ops: Stop Local Sandbox').click();
    await welcome.locator('.monaco-button', { hasText: 'Start Local Sandbox' }).waitFor({
      state: 'visible',
      timeout: uiWaitMs,
    });
  });
});

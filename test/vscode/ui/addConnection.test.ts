/**
 * UI: Add Connection through its quick inputs, the way a user pastes a URI that carries a password.
 * The profile lands in workspace settings without the password, and the Connections view lists it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';
import {
  addWorkspaceProfiles,
  answerInput,
  openPostgresOps,
  paletteRow,
  screenshot,
  screenshotOnFailure,
  sideBar,
  treeRow,
  typeInPalette,
  viewPane,
  workbench,
  workspaceSettingsFile,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const profileName = 'ui-added-connection';
const secret = 'pasted-Secret-4711';

async function pick(page: Page, title: RegExp, label: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: uiWaitMs });
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
}

describe('Add Connection in the workbench (UI)', () => {
  const settingsFile = workspaceSettingsFile;
  let restoreSettings = (): void => undefined;

  before(() => {
    restoreSettings = addWorkspaceProfiles([]);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    // put the workspace settings back so later tests see the Connections view as they expect
    restoreSettings();
    const { page } = workbench();
    await typeInPalette(page, 'Notifications: Clear All Notifications');
    await page.keyboard.press('Enter');
    await treeRow(viewPane(page, 'Connections'), profileName).waitFor({ state: 'detached', timeout: uiWaitMs });
  });

  it('takes a pasted URI, keeps its password out of settings, and lists the new profile', async () => {
    const { page } = workbench();
    await typeInPalette(page, 'Postgres Ops: Add Connection');
    await paletteRow(page, 'Postgres Ops: Add Connection').click();
    await answerInput(
      page,
      /Add Connection \(1\/4\)/,
      `postgresql://alice:${secret}@127.0.0.1:5999/appdb?sslmode=disable`,
    );
    await answerInput(page, /Add Connection \(2\/4\)/, profileName);
    await pick(page, /Add Connection \(3\/4\)/, 'Not production');
    await pick(page, /Add Connection \(4\/4\)/, 'Workspace settings');

    await openPostgresOps(page);
    const row = treeRow(viewPane(page, 'Connections'), profileName);
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('add-connection', sideBar(page));

    const saved = fs.readFileSync(settingsFile(), 'utf8');
    assert.ok(!saved.includes(secret), 'the pasted password is not written to settings');
    const entry = (
      (JSON.parse(saved) as Record<string, unknown>)['pgops.connections'] as Array<{ name: string; conninfo?: string }>
    ).find((p) => p.name === profileName);
    assert.ok(entry, `profile in ${settingsFile()}: ${saved}`);
    assert.match(entry.conninfo ?? '', /127\.0\.0\.1/);
    assert.match(entry.conninfo ?? '', /appdb/);
    assert.doesNotMatch(entry.conninfo ?? '', new RegExp(secret));
  });
});

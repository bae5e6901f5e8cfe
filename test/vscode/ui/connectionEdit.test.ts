/**
 * UI: Edit, Test, Duplicate and Remove Connection from the Connections view's context menu, as a
 * user drives them, against a real PostgreSQL 18 (the OAuth rig's server, whose superuser signs in
 * with SCRAM over TCP). The password typed in Edit Connection goes to Secret Storage and follows the
 * profile through a rename and a duplicate, and to a new host only after a question; settings never hold it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  addWorkspaceProfiles,
  answerInput,
  contextMenuEntry,
  inlineAction,
  openPostgresOps,
  screenshot,
  screenshotOnFailure,
  sideBar,
  viewPane,
  workbench,
  workspaceSettingsFile,
  uiWaitMs,
  until,
} from '../../support/vscodeWorkbench';

const original = 'ui-edit-conn';
const renamed = 'ui-edit-renamed';
const copy = `${renamed} (copy)`;

const connections = (page: Page) => viewPane(page, 'Connections');
/** A row whose label is exactly `name` (a prefix match would also find its copy). */
const row = (page: Page, name: string) =>
  connections(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[()]/g, '\\$&')}$`) }) })
    .first();

/** The quick pick row whose label (not its description) is exactly `label`. */
async function chooseInQuickPick(page: Page, label: string): Promise<void> {
  const exact = page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}\\s*$`) });
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: exact }).first().click();
}

/** Answers the input box titled `title` and waits until it has closed (the command goes on only then). */
async function answer(page: Page, title: string, text?: string): Promise<void> {
  await answerInput(page, title, text);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: uiWaitMs });
}

/** Test Connection from the context menu: the modal's text, then closed. */
async function testConnection(page: Page, name: string): Promise<string> {
  await contextMenuEntry(page, row(page, name), 'Test Connection');
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Connection "${name}" works.` });
  await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
  const text = await dialog.innerText();
  await dialog.locator('.monaco-button', { hasText: 'OK' }).click();
  await dialog.waitFor({ state: 'detached', timeout: uiWaitMs });
  return text;
}

describe('Edit, Test, Duplicate and Remove Connection in the workbench (UI)', () => {
  const settingsFile = workspaceSettingsFile;
  const savedNames = (): string[] =>
    (
      ((JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>)['pgops.connections'] ??
        []) as Array<{ name: string }>
    ).map((p) => p.name);
  const hbaCopy = (): string => path.join(workbench().workspace, 'ui-edit-pg_hba.conf');
  let restoreSettings = (): void => undefined;

  before(() => {
    const { server } = workbench().oauth;
    // The user's local copy of the server's pg_hba.conf, for explaining a refusal before any session read the server's rules.
    fs.copyFileSync(path.join(server.layout.dataDir, 'pg_hba.conf'), hbaCopy());
    restoreSettings = addWorkspaceProfiles([
      {
        name: original,
        conninfo: `host=127.0.0.1 port=${server.port} user=postgres dbname=postgres sslmode=disable`,
        hbaFile: hbaCopy(),
      },
    ]);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(() => {
    fs.rmSync(hbaCopy(), { force: true });
    restoreSettings();
  });

  it('Edit Connection stores a typed password in Secret Storage, and Test Connection reports the SCRAM session', async () => {
    const { page, oauth } = workbench();
    await openPostgresOps(page);
    await row(page, original).waitFor({ state: 'visible', timeout: uiWaitMs });
    await contextMenuEntry(page, row(page, original), 'Edit Connection');
    await chooseInQuickPick(page, 'Set password');
    await answer(page, `Password for "${original}"`, oauth.server.password);
    assert.ok(
      !fs.readFileSync(settingsFile(), 'utf8').includes(oauth.server.password),
      'the password is not in settings',
    );

    const report = await testConnection(page, original);
    assert.match(report, /Server: PostgreSQL 18/);
    assert.match(report, /Session user: postgres/);
    assert.match(report, /Authentication: SCRAM-SHA-256 \(password from Secret Storage\)/i);
    assert.ok(!report.includes(oauth.server.password));
  });

  it('renames through Edit Connection; the password moves with the profile', async () => {
    const { page } = workbench();
    await contextMenuEntry(page, row(page, original), 'Edit Connection');
    await chooseInQuickPick(page, 'Name');
    await answer(page, 'New name', renamed);
    await row(page, renamed).waitFor({ state: 'visible', timeout: uiWaitMs });
    await row(page, original).waitFor({ state: 'detached', timeout: uiWaitMs });
    assert.ok(
      savedNames().includes(renamed) && !savedNames().includes(original),
      `settings: ${savedNames().join(', ')}`,
    );
    assert.match(await testConnection(page, renamed), /password from Secret Storage/);
  });

  it('duplicates next to the original, password included, and removes the copy after the confirmation', async () => {
    const { page } = workbench();
    await contextMenuEntry(page, row(page, renamed), 'Duplicate Connection');
    await answer(page, `Duplicate "${renamed}"`);
    await row(page, copy).waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.ok(savedNames().includes(copy), 'the copy is saved in the same (workspace) settings');
    assert.match(await testConnection(page, copy), /password from Secret Storage/);
    await screenshot('connection-duplicated', sideBar(page));

    await contextMenuEntry(page, row(page, copy), 'Remove Connection');
    const dialog = page.locator('.monaco-dialog-box', { hasText: `Remove the connection "${copy}"?` });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    await dialog.locator('.monaco-button', { hasText: /^Remove$/ }).click();
    await row(page, copy).waitFor({ state: 'detached', timeout: uiWaitMs });
    assert.ok(!savedNames().includes(copy) && savedNames().includes(renamed), `settings: ${savedNames().join(', ')}`);
  });

  it('keeps the profile when the removal is cancelled', async () => {
    const { page } = workbench();
    await contextMenuEntry(page, row(page, renamed), 'Remove Connection');
    const dialog = page.locator('.monaco-dialog-box', { hasText: `Remove the connection "${renamed}"?` });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached', timeout: uiWaitMs });
    assert.ok(await row(page, renamed).isVisible(), 'still listed');
    assert.ok(savedNames().includes(renamed));
  });

  it("explains a wrong password from the profile's local pg_hba.conf copy: its line and method", async () => {
    const { page } = workbench();
    await contextMenuEntry(page, row(page, renamed), 'Edit Connection');
    await chooseInQuickPick(page, 'Set password');
    await answer(page, `Password for "${renamed}"`, 'not-the-password');
    await contextMenuEntry(page, row(page, renamed), 'Test Connection');
    const refused = page.locator('.notification-toast', { hasText: 'password authentication failed' }).first();
    await refused.waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = await refused.innerText();
    assert.match(text, /line 2/, text);
    assert.match(text, /scram-sha-256/, text);
    assert.ok(text.includes(`the local copy ${hbaCopy()}`), `names the copy: ${text}`);
    await screenshot('connection-refused-explained');
  });

  it('Explain Authentication names the line and how pgops answers it: from the local copy, then from the server once connected', async () => {
    const { page, oauth } = workbench();
    await contextMenuEntry(page, row(page, renamed), 'Edit Connection');
    await chooseInQuickPick(page, 'Set password');
    await answer(page, `Password for "${renamed}"`, oauth.server.password);

    await contextMenuEntry(page, row(page, renamed), 'Explain Authentication');
    const dialog = page.locator('.monaco-dialog-box', { hasText: `How "${renamed}" authenticates` });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = await dialog.innerText();
    assert.match(text, /line 2 of .*ui-edit-pg_hba\.conf .*method scram-sha-256/s, text);
    assert.match(text, /password from Secret Storage/, text);
    assert.ok(text.includes(`Rules: the local copy ${hbaCopy()}`), text);
    await screenshot('explain-authentication');
    await dialog.locator('.monaco-button', { hasText: 'OK' }).click();

    // Connected as the superuser, pgops reads pg_hba_file_rules and shows the line the session used.
    await inlineAction(row(page, renamed), 'Connect');
    await row(page, renamed)
      .filter({ hasText: /connected · PostgreSQL 18/ })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    // The detail rows may extend below the pane: walk down with the keyboard (the list scrolls to the focus).
    // The pg_hba row appears once pgops has read the rules after connecting, so the walk is repeated until then.
    const focused = connections(page).locator('.monaco-list-row.focused');
    let detail = '';
    await until(async () => {
      await row(page, renamed).click();
      for (let i = 0; i < 12 && !/^pg_hba/.test(detail); i++) {
        await page.keyboard.press('ArrowDown');
        detail = (await focused.innerText().catch(() => '')).trim();
      }
      return /^pg_hba/.test(detail);
    });
    assert.match(detail, /^pg_hba\s*line 2: scram-sha-256$/, `the session's pg_hba row: ${detail}`);
    await row(page, renamed).click();
    await inlineAction(row(page, renamed), 'Disconnect');
  });

  it('asks before the stored password follows the profile to another host, and carries it when told to', async () => {
    const { page, oauth } = workbench();
    // Another name for the same server: libpq connects to hostaddr and uses the name for TLS and pgpass.
    const moved = `host=localhost hostaddr=127.0.0.1 port=${oauth.server.port} user=postgres dbname=postgres sslmode=disable`;
    await contextMenuEntry(page, row(page, renamed), 'Edit Connection');
    await chooseInQuickPick(page, 'Connection string');
    await answer(page, `Connection string of "${renamed}"`, moved);
    const question = page.locator('.monaco-dialog-box', {
      hasText: `"${renamed}" now connects to postgres@localhost[127.0.0.1]:${oauth.server.port}`,
    });
    await question.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(
      await question.innerText(),
      new RegExp(`instead of postgres@127\\.0\\.0\\.1:${oauth.server.port}\\. Keep its stored password\\?`),
    );
    await screenshot('connection-new-host-question');
    await question.locator('.monaco-button', { hasText: 'Keep for the New Server' }).click();
    await question.waitFor({ state: 'detached', timeout: uiWaitMs });
    assert.match(await testConnection(page, renamed), /password from Secret Storage/);
  });
});

/**
 * UI: the Health view against a real PostgreSQL 18 (the OAuth rig's server; its superuser signs in with
 * SCRAM over TCP, the password read from the profile's own passfile). A failed CREATE UNIQUE INDEX
 * CONCURRENTLY leaves an invalid index and a new index is never scanned: the view shows invalid-indexes
 * failing with the index in its details, unused-indexes warning, the checks that pass as ok, and the
 * failing check's fix opens in an untitled SQL editor.
 */
import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import type { Locator } from 'playwright-core';
import {
  addRigSuperuserProfile,
  connectProfile,
  disconnectProfile,
  screenshot,
  screenshotOnFailure,
  setPane,
  showAllPanes,
  showOnlyPanes,
  sideBar,
  treeRow,
  typeInPalette,
  viewPane,
  workbench,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const profile = 'ui-health';
const invalidIndex = 'ui_health_dup_v_key';

/** Text as shown, spaces made plain (Monaco renders them as no-break spaces). */
const plain = (text: string) =>
  text
    .replace(/\u00a0/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** A tree row's label and description, one space between. */
const rowText = async (row: Locator) =>
  plain((await row.locator('.label-name, .label-description').allInnerTexts()).join(' '));

/** The rows of a pane whose label or description matches. */
const rowsWith = (pane: Locator, part: 'name' | 'description', text: RegExp) =>
  pane.locator('.monaco-list-row').filter({ has: pane.page().locator(`.label-${part}`, { hasText: text }) });

describe('Health view with statuses and a fix (UI, PostgreSQL 18)', () => {
  let restoreSettings = (): void => undefined;
  let admin: Client;

  before(async () => {
    const { server } = workbench().oauth;
    admin = await server.admin();
    await admin.query('DROP TABLE IF EXISTS ui_health_dup, ui_health_unused');
    await admin.query('CREATE TABLE ui_health_dup (v int)');
    await admin.query('INSERT INTO ui_health_dup VALUES (1), (1)');
    await assert.rejects(
      admin.query(`CREATE UNIQUE INDEX CONCURRENTLY ${invalidIndex} ON ui_health_dup (v)`),
      /could not create unique index/,
    );
    await admin.query('CREATE TABLE ui_health_unused (id int, v int)');
    await admin.query('CREATE INDEX ui_health_unused_v ON ui_health_unused (v)');

    // every invalid index of the server in the details, whatever other tests left behind
    restoreSettings = addRigSuperuserProfile(profile, { 'pgops.health.detailRows': 50 });
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    const { page } = workbench();
    await page.keyboard.press('Escape').catch(() => undefined);
    // the fix's untitled editor is dirty: revert it so closing asks nothing
    if (await page.locator('.tab', { hasText: /Untitled/ }).count())
      await typeInPalette(page, 'View: Revert and Close Editor')
        .then(() => page.keyboard.press('Enter'))
        .catch(() => undefined);
    await setPane(page, 'Connections', true).catch(() => undefined);
    await disconnectProfile(page, profile);
    await showAllPanes(page);
    if (admin) {
      await admin.query('DROP TABLE IF EXISTS ui_health_dup, ui_health_unused');
      await admin.end();
    }
    restoreSettings();
  });

  it('shows invalid-indexes failing with the index, unused-indexes warning, passing checks ok, and opens the fix', async () => {
    const { page } = workbench();
    await connectProfile(page, profile);

    // room for the fifteen checks and a check's rows: the panes around Query Stats and Health close
    await showOnlyPanes(page, ['Activity', 'Health', 'Query Stats']);
    const health = viewPane(page, 'Health');

    const invalid = treeRow(health, 'invalid-indexes');
    await invalid.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await rowText(invalid), /^invalid-indexes fail · \d+ · warn ≥ 1, fail ≥ 1$/);
    assert.match(await rowText(treeRow(health, 'unused-indexes')), /^unused-indexes warn · \d+ · warn ≥ 1$/);
    const summary = await rowText(health.locator('.monaco-list-row').first());
    assert.match(summary, /^\d+ fail · (\d+ warn · )?(\d+ unknown · )?\d+ ok database "postgres"$/);
    const okRows = rowsWith(health, 'description', /^ok( · |$)/);
    assert.ok((await okRows.count()) > 0, `a check shows ok: ${summary}`);
    await page.mouse.move(800, 500); // no tooltip over the rows
    await screenshot('health-view', sideBar(page));

    await invalid.click();
    const detail = rowsWith(health, 'description', new RegExp(`index=${invalidIndex} `)).first();
    await detail.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(
      await rowText(detail),
      /^#\d+ schema=public · table=ui_health_dup · index=ui_health_dup_v_key · unique=true/,
    );
    const fix = rowsWith(health, 'name', /^fix$/).first();
    await fix.waitFor({ state: 'visible', timeout: uiWaitMs });
    await page.mouse.move(800, 500);
    await screenshot('health-view-invalid-index', sideBar(page));

    await fix.click();
    await page.locator('.tab.active', { hasText: /Untitled/ }).waitFor({ state: 'visible', timeout: uiWaitMs });
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.filter({ hasText: 'DROP INDEX' }).waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = plain(await editor.innerText());
    assert.ok(text.includes(`DROP INDEX CONCURRENTLY "public"."${invalidIndex}";`), text);
    assert.ok(text.includes(`REINDEX INDEX CONCURRENTLY "public"."${invalidIndex}";`), text);
    await page
      .locator('.statusbar-item', { hasText: /^(MS )?SQL$/ })
      .first()
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('health-fix-editor');
  });
});

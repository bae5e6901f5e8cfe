/**
 * UI: Peek Changes on a pgoutput slot from the Replication view, as a user does it, against a real
 * PostgreSQL 18 (the OAuth rig's server; its superuser signs in with SCRAM over TCP, the password
 * read from the profile's own passfile). Two publications exist; the user keeps one in the picker,
 * and the panel shows that publication's table only, and the logical message, without consuming the changes.
 */
import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import type { Page } from 'playwright-core';
import {
  addRigSuperuserProfile,
  connectProfile,
  contextMenuEntry,
  disconnectProfile,
  screenshot,
  screenshotOnFailure,
  setPane,
  treeRow,
  viewPane,
  workbench,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const profile = 'ui-peek';
const slot = 'ui_peek_slot';

/** The quick pick row whose label is exactly `label`. */
function quickPickRow(page: Page, label: string) {
  return page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}\\s*$`) }) })
    .first();
}

describe('Peek Changes on a pgoutput slot in the Replication view (UI, PostgreSQL 18)', () => {
  let restoreSettings = (): void => undefined;
  let admin: Client;

  before(async () => {
    const { server } = workbench().oauth;
    admin = await server.admin();
    await admin.query('DROP TABLE IF EXISTS ui_peek_a, ui_peek_b');
    await admin.query('CREATE TABLE ui_peek_a (id int PRIMARY KEY, note text)');
    await admin.query('CREATE TABLE ui_peek_b (id int PRIMARY KEY, note text)');
    await admin.query('CREATE PUBLICATION ui_pub_a FOR TABLE ui_peek_a');
    await admin.query('CREATE PUBLICATION ui_pub_b FOR TABLE ui_peek_b');
    await admin.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    await admin.query("INSERT INTO ui_peek_a VALUES (1, 'in a'), (2, 'also in a')");
    await admin.query("INSERT INTO ui_peek_b VALUES (1, 'in b')");
    await admin.query("SELECT pg_logical_emit_message(true, 'ui', 'hello from the UI test')");

    restoreSettings = addRigSuperuserProfile(profile);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    const { page } = workbench();
    await disconnectProfile(page, profile);
    await page.keyboard
      .press('Control+K')
      .then(() => page.keyboard.press('W'))
      .catch(() => undefined);
    if (admin) {
      await admin.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
        [slot],
      );
      await admin.query('DROP PUBLICATION IF EXISTS ui_pub_a, ui_pub_b');
      await admin.query('DROP TABLE IF EXISTS ui_peek_a, ui_peek_b');
      await admin.end();
    }
    restoreSettings();
  });

  it("peeks with the publication the user keeps, and shows only its table's changes and the logical message", async () => {
    const { page } = workbench();
    await connectProfile(page, profile);

    const replication = viewPane(page, 'Replication');
    assert.ok(await setPane(page, 'Replication', true), 'the Replication pane opened');
    const slotRow = treeRow(replication, slot);
    await slotRow.waitFor({ state: 'visible', timeout: uiWaitMs });
    await contextMenuEntry(page, slotRow, 'Peek Changes');

    await quickPickRow(page, 'Protocol 1').click();
    // the publications: both offered and checked; the user unchecks ui_pub_b
    const pubB = quickPickRow(page, 'ui_pub_b');
    await pubB.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await quickPickRow(page, 'ui_pub_a').innerText(), /1 table\(s\)/);
    await pubB.click();
    await screenshot('peek-publications');
    await page.keyboard.press('Enter');

    await page.locator('.tab.active', { hasText: `Peek: ${slot}` }).waitFor({ state: 'visible', timeout: uiWaitMs });
    const panel = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    await panel.locator('table tr').nth(1).waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(
      await panel.locator('p.muted').innerText(),
      /not consumed · proto_version=1, publication_names="ui_pub_a", messages=on$/,
    );
    const relations = (await panel.locator('table tr td:nth-child(4)').allInnerTexts()).filter((t) => t.trim());
    assert.ok(relations.length >= 2, `rows with a relation: ${relations.join(', ')}`);
    assert.deepEqual([...new Set(relations)], ['public.ui_peek_a']);
    const table = await panel.locator('table').innerText();
    assert.match(table, /INSERT: id\[integer\]:2 note\[text\]:'also in a'/);
    assert.match(table, /message: transactional: 1 prefix: ui, sz: 22 content:hello from the UI test/);
    await screenshot('peek-panel');

    const pending = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', 'ui_pub_a')",
      [slot],
    );
    assert.ok(pending.rows[0].n > 0, 'the changes are still in the slot (peeked, not consumed)');
  });
});

/**
 * UI: Fix… from the Bloat view, as a DBA uses it, against a real PostgreSQL 18 (the OAuth rig's server; its
 * superuser signs in with SCRAM over TCP, the password read from the profile's own passfile). A table with
 * nine rows of ten deleted shows in Bloat; Fix… → VACUUM opens the Fix panel with the pre-flight checklist and
 * the exact statement; Run… asks in a modal, the panel shows the VACUUM's progress from pg_stat_progress_vacuum
 * (the database's vacuum_cost_delay stretches it over seconds), then the before/after summary, which Save Summary
 * writes next to the benchmark reports. pg_repack has no package for PostgreSQL 18 here; the integration tier
 * runs it on 15.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Client } from 'pg';
import type { Locator } from 'playwright-core';
import {
  addRigSuperuserProfile,
  connectProfile,
  contextMenuEntry,
  disconnectProfile,
  screenshot,
  paletteRow,
  screenshotOnFailure,
  setPane,
  showAllPanes,
  showOnlyPanes,
  treeRow,
  typeInPalette,
  uiWaitMs,
  until,
  viewPane,
  workbench,
} from '../../support/vscodeWorkbench';

const profile = 'ui-fix';
const table = 'ui_fix_bloat';

/** Left open (the others close for room; the Activity view shows the VACUUM running). */
const panes = ['Activity', 'Query Stats', 'Bloat'];

describe('Fix… from the Bloat view: checklist, run, progress, before/after summary; cleanup from Health (UI, PostgreSQL 18)', () => {
  let restoreSettings = (): void => undefined;
  let admin: Client;
  let savedFile = '';

  before(async () => {
    admin = await workbench().oauth.server.admin();
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = off)`);
    await admin.query(`INSERT INTO ${table} SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 300000) g`);
    await admin.query(`DELETE FROM ${table} WHERE id % 10 <> 0`);
    await admin.query(`ANALYZE ${table}`);
    // the fix's own session reads these at its start: a VACUUM of seconds, so its progress can be seen
    await admin.query("ALTER DATABASE postgres SET vacuum_cost_delay = '20ms'");
    await admin.query('ALTER DATABASE postgres SET vacuum_cost_limit = 200');
    restoreSettings = addRigSuperuserProfile(profile);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    const { page } = workbench();
    await page.keyboard.press('Escape').catch(() => undefined);
    await typeInPalette(page, 'View: Close All Editors')
      .then(() => page.keyboard.press('Enter'))
      .catch(() => undefined);
    await setPane(page, 'Connections', true).catch(() => undefined);
    await disconnectProfile(page, profile).catch(() => undefined);
    await showAllPanes(page);
    if (admin) {
      await admin.query('ALTER DATABASE postgres RESET vacuum_cost_delay').catch(() => undefined);
      await admin.query('ALTER DATABASE postgres RESET vacuum_cost_limit').catch(() => undefined);
      await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await admin.end();
    }
    if (savedFile) fs.rmSync(savedFile, { force: true });
    restoreSettings();
  });

  it('runs VACUUM from the Fix panel after the checklist, with progress and a before/after summary', async () => {
    const { page } = workbench();
    await connectProfile(page, profile);
    await showOnlyPanes(page, panes);
    const bloat = viewPane(page, 'Bloat');
    const row = treeRow(bloat, `public.${table}`);
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });

    await contextMenuEntry(page, row, 'Fix… (VACUUM, REINDEX, pg_repack)');
    const picker = page.locator('.quick-input-widget');
    await picker
      .locator('.quick-input-title', { hasText: `Fix public.${table}` })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('fix-choose');
    await picker.locator('.monaco-list-row', { hasText: 'VACUUM (VERBOSE, ANALYZE)' }).first().click();

    await page
      .locator('.tab.active', { hasText: `Fix: public.${table}` })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    const panel = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    const checks = panel.locator('ul.checks li');
    await checks.first().waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = async (l: Locator) => (await l.innerText()).replace(/\s+/g, ' ').trim();
    assert.match(await text(checks.nth(0)), new RegExp(`^✔ The object exists: table "public"\\."${table}": table \\d`));
    const all = (await checks.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.ok(
      all.some((t) => t === '✔ Free disk space: not needed: this fix writes no copy of the table'),
      all.join('\n'),
    );
    assert.ok(
      all.some((t) => /^(✔|⚠) No transaction older than 1 min 00 s, no lock on the table/.test(t)),
      all.join('\n'),
    );
    assert.ok(
      all.some((t) => /^(✔|⚠) Replication: /.test(t)),
      all.join('\n'),
    );
    assert.equal(
      await panel.locator('pre.command').innerText(),
      `SET lock_timeout = '10s';\nSET statement_timeout = '0';\nVACUUM (VERBOSE, ANALYZE) "public"."${table}";`,
    );
    await screenshot('fix-checklist');

    await panel.locator('button[data-action="run"]').click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: `Run VACUUM (VERBOSE, ANALYZE) "public"."${table}"` });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await dialog.innerText(), /SHARE UPDATE EXCLUSIVE/);
    await dialog.locator('.monaco-button', { hasText: 'Continue' }).click();

    const phase = panel.locator('p.phase');
    await phase
      .filter({ hasText: /^(scanning|vacuuming) heap: VACUUM: \d+ of \d+ blocks \(\d/ })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.ok(await panel.locator('button[data-action="cancel"]').isVisible(), 'Cancel is offered while it runs');
    await screenshot('fix-progress');

    const summary = panel.locator('pre.summary');
    await summary.filter({ hasText: /^done: / }).waitFor({ state: 'visible', timeout: uiWaitMs });
    const lines = (await summary.innerText()).split('\n');
    assert.match(lines[0], new RegExp(`^done: VACUUM \\(VERBOSE, ANALYZE\\) "public"\\."${table}"; finished \\(`));
    assert.match(lines[1], /^before: table \d+(\.\d)? [kMG]B, indexes \d/);
    assert.match(lines[2], /^after: +table \d+(\.\d)? [kMG]B, indexes \d.*; bloat /);
    assert.match(lines[3], /^lock waits: the fix waited 0\.0 s; 0 sessions waited for the fix$/);
    const output = await panel.locator('pre.output').innerText();
    assert.match(output, /INFO: .*vacuuming/i, 'VACUUM VERBOSE output is shown');
    await screenshot('fix-summary');

    await panel.locator('button[data-action="save"]').click();
    const saved = panel.locator('p.muted', { hasText: 'Summary saved to ' });
    await saved.waitFor({ state: 'visible', timeout: uiWaitMs });
    savedFile = (await saved.innerText()).replace(/^Summary saved to /, '').trim();
    const record = JSON.parse(fs.readFileSync(savedFile, 'utf8')) as { action: string; outcome: { status: string } };
    assert.equal(record.action, 'vacuum');
    assert.equal(record.outcome.status, 'done');
    const counted = await until(async () => {
      const r = await admin.query<{ n: string }>(
        'SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE relname = $1',
        [table],
      );
      return Number(r.rows[0]?.n ?? 0) >= 1;
    });
    assert.ok(counted, 'the server counted the VACUUM');
  });

  it("cleans up an interrupted REINDEX CONCURRENTLY's invalid index from the Health view", async () => {
    const { page } = workbench();
    const { server } = workbench().oauth;
    // a REINDEX CONCURRENTLY waiting for a writer, cancelled: it leaves the invalid ui_fix_bloat_pkey_ccnew
    const writer = await server.admin();
    const reindexer = await server.admin();
    try {
      await writer.query('BEGIN');
      await writer.query(`UPDATE ${table} SET v = v WHERE id = 10`);
      const pid = (await reindexer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const reindex = reindexer.query(`REINDEX INDEX CONCURRENTLY ${table}_pkey`).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(
        await until(async () => {
          const r = await admin.query('SELECT 1 FROM pg_stat_progress_create_index WHERE pid = $1 AND phase ~ $2', [
            pid,
            '^waiting for',
          ]);
          return r.rowCount === 1;
        }),
        'the REINDEX waits for the writer',
      );
      await admin.query('SELECT pg_cancel_backend($1)', [pid]);
      assert.match(String(await reindex), /canceling statement/);
      await writer.query('COMMIT');
    } finally {
      await writer.end();
      await reindexer.end();
    }
    const invalid = `${table}_pkey_ccnew`;
    const left = await admin.query('SELECT 1 FROM pg_class WHERE relname = $1', [invalid]);
    assert.equal(left.rowCount, 1, `${invalid} was left behind`);

    assert.ok(await setPane(page, 'Bloat', false), 'the Bloat pane closed');
    assert.ok(await setPane(page, 'Health', true), 'the Health pane opened');
    const health = viewPane(page, 'Health');
    await typeInPalette(page, 'Postgres Ops: Refresh Health');
    await paletteRow(page, 'Refresh Health').click();
    const row = treeRow(health, 'invalid-indexes');
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await contextMenuEntry(page, row, 'Clean Up After Interrupted Fixes…');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'leftover' });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    const detail = await dialog.innerText();
    assert.match(detail, new RegExp(`invalid index "public"\\."${invalid}"`));
    assert.match(detail, new RegExp(`DROP INDEX CONCURRENTLY IF EXISTS "public"\\."${invalid}";`));
    await screenshot('fix-cleanup-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Continue' }).click();
    await page
      .locator('.notification-list-item', { hasText: /^Dropped \d+ leftovers?/ })
      .first()
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.ok(
      await until(
        async () => (await admin.query('SELECT 1 FROM pg_class WHERE relname = $1', [invalid])).rowCount === 0,
      ),
      `${invalid} is dropped`,
    );
  });
});

/**
 * UI: the Activity view and panel as a DBA uses them, against a real PostgreSQL 18 (the OAuth rig's server;
 * its superuser signs in with SCRAM over TCP, the password read from the profile's own passfile). Three real
 * sessions form a blocking chain A ← B ← C; the view shows it as a tree with the lock each waits for, refreshes
 * by itself, terminates the blocker after a modal confirmation, and the panel charts the wait types.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import type { Locator } from 'playwright-core';
import {
  addWorkspaceProfiles,
  contextMenuEntry,
  inlineAction,
  openPostgresOps,
  paletteRow,
  screenshot,
  screenshotOnFailure,
  setPane,
  treeRow,
  typeInPalette,
  until,
  uiWaitMs,
  viewPane,
  workbench,
} from '../../support/vscodeWorkbench';

const profile = 'ui-activity';
const table = 'ui_activity_chain';

interface Session {
  client: Client;
  pid: number;
  /** The statement the test left running, resolved (to its error, if any) when it ends. */
  running?: Promise<unknown>;
}

/** The tree depth of a row (aria-level), to check what is nested under what. */
async function level(row: Locator): Promise<number> {
  return Number(await row.getAttribute('aria-level'));
}

describe('Activity view and panel: blocking tree, terminate with the modal, wait-type chart (UI, PostgreSQL 18)', () => {
  const passfile = (): string => path.join(workbench().workspace, 'ui-activity.pgpass');
  let restoreSettings = (): void => undefined;
  let admin: Client;
  const sessions: Session[] = [];
  let a: Session, b: Session, c: Session;

  async function open(app: string): Promise<Session> {
    const client = await workbench().oauth.server.admin();
    client.on('error', () => undefined);
    await client.query('SELECT pg_catalog.set_config($1, $2, false)', ['application_name', app]);
    const pid = (await client.query<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid')).rows[0].pid;
    const s = { client, pid };
    sessions.push(s);
    return s;
  }

  /** Waits until the server says `pid` waits for a lock (pg_blocking_pids is not empty). */
  async function waitsForLock(pid: number): Promise<void> {
    const met = await until(async () => {
      const r = await admin.query<{ n: number }>(
        'SELECT pg_catalog.cardinality(pg_catalog.pg_blocking_pids($1)) AS n',
        [pid],
      );
      return (r.rows[0]?.n ?? 0) > 0;
    });
    assert.ok(met, `PID ${pid} waits for a lock`);
  }

  before(async () => {
    const { server } = workbench().oauth;
    admin = await server.admin();
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int)`);
    await admin.query(`INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, 5) g`);
    fs.writeFileSync(passfile(), `127.0.0.1:${server.port}:*:postgres:${server.password}\n`, { mode: 0o600 });
    restoreSettings = addWorkspaceProfiles([
      {
        name: profile,
        conninfo: `host=127.0.0.1 port=${server.port} user=postgres dbname=postgres sslmode=disable passfile=${passfile()}`,
      },
    ]);
    a = await open('ui chain A');
    b = await open('ui chain B');
    c = await open('ui chain C');
    await a.client.query('BEGIN');
    await a.client.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
    await b.client.query('BEGIN');
    b.running = b.client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`).then(
      () => undefined,
      (e: Error) => e,
    );
    await waitsForLock(b.pid);
    c.running = c.client.query(`SELECT count(*) FROM ${table}`).then(
      () => undefined,
      (e: Error) => e,
    );
    await waitsForLock(c.pid);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    const { page } = workbench();
    const row = treeRow(viewPane(page, 'Connections'), profile);
    if (await row.filter({ hasText: /connected/ }).count())
      await inlineAction(row, 'Disconnect').catch(() => undefined);
    await page.keyboard
      .press('Control+K')
      .then(() => page.keyboard.press('W'))
      .catch(() => undefined);
    if (admin)
      // a backend busy in pg_sleep notices its client leaving only when the sleep ends: end them from the server
      await admin.query('SELECT pg_catalog.pg_terminate_backend(p) FROM pg_catalog.unnest($1::int4[]) AS p', [
        sessions.map((s) => s.pid),
      ]);
    await Promise.all(sessions.map((s) => s.client.end().catch(() => undefined)));
    if (admin) {
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    }
    fs.rmSync(passfile(), { force: true });
    restoreSettings();
  });

  it('shows the chain A ← B ← C as a tree with the lock each waits for, and refreshes by itself', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    const connection = treeRow(viewPane(page, 'Connections'), profile);
    await connection.waitFor({ state: 'visible', timeout: uiWaitMs });
    await inlineAction(connection, 'Connect');
    await connection.filter({ hasText: /connected · PostgreSQL 18/ }).waitFor({ state: 'visible', timeout: uiWaitMs });

    const activity = viewPane(page, 'Activity');
    assert.ok(await setPane(page, 'Activity', true), 'the Activity pane opened');
    const heading = treeRow(activity, 'Blocking: 1 blocker(s), 2 waiting');
    await heading.waitFor({ state: 'visible', timeout: uiWaitMs });
    const [rowA, rowB, rowC] = [a, b, c].map((s, i) =>
      treeRow(activity, `${s.pid} postgres@postgres [ui chain ${'ABC'[i]}]`),
    );
    for (const r of [rowA, rowB, rowC]) await r.waitFor({ state: 'visible', timeout: uiWaitMs });
    const top = await level(heading);
    assert.deepEqual(
      [await level(rowA), await level(rowB), await level(rowC)],
      [top + 1, top + 2, top + 3],
      'A at the root of the blocking tree, B under A, C under B',
    );
    assert.match(await rowA.innerText(), /idle in transaction, transaction/);
    assert.match(
      await rowB.innerText(),
      /waits .* for Lock\/relation: AccessExclusiveLock on public\.ui_activity_chain/,
    );
    assert.match(await rowC.innerText(), /waits .* for Lock\/relation: AccessShareLock on public\.ui_activity_chain/);
    await screenshot('activity-blocking-tree');

    // a session that starts now shows up without a click on Refresh: the view refreshes live while in sight.
    // The pane is short, so the list is scrolled to its end (End on the focused tree), where D's group is.
    const d = await open('ui live D');
    d.running = d.client.query('SELECT pg_catalog.pg_sleep(600)').then(
      () => undefined,
      (e: Error) => e,
    );
    await treeRow(activity, 'session(s)').click();
    const rowD = treeRow(activity, `${d.pid} postgres@postgres`);
    const seen = await until(async () => {
      await page.keyboard.press('End');
      return rowD.isVisible();
    });
    assert.ok(seen, `PID ${d.pid} appears in the Activity view without a refresh`);
    assert.match(await rowD.innerText(), /active · Timeout\/PgSleep/);
    await page.keyboard.press('Home');
    await rowA.waitFor({ state: 'visible', timeout: uiWaitMs });
  });

  it('terminates the blocker after a modal confirmation; B gets its lock and C waits behind B alone', async () => {
    const { page } = workbench();
    const activity = viewPane(page, 'Activity');
    const rowA = treeRow(activity, `${a.pid} postgres@postgres [ui chain A]`);
    // Live refresh replaces the rows every 2 s; a context menu run while a refresh rebuilds them reaches the command
    // without its item. Pause first, as a user acting on a busy list would, and wait for the view to say so.
    await typeInPalette(page, 'Pause Live Activity');
    await paletteRow(page, 'Pause Live Activity').click();
    await activity.locator('.pane-header [aria-label^="Resume Live Activity"]').first().waitFor({
      state: 'attached',
      timeout: uiWaitMs,
    });
    await rowA.waitFor({ state: 'visible', timeout: uiWaitMs });
    await contextMenuEntry(page, rowA, 'Terminate Session');
    const dialog = page.locator('.monaco-dialog-box', { hasText: `PID ${a.pid}` });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = await dialog.innerText();
    assert.match(
      text,
      new RegExp(`Terminate the session PID ${a.pid} \\(postgres, ui chain A, idle in transaction\\)`),
    );
    assert.match(text, /UPDATE ui_activity_chain SET v = v \+ 1 WHERE id = 1/);
    assert.match(text, /its open transaction rolls back/);
    await screenshot('activity-terminate-modal');
    await dialog.locator('.monaco-button', { hasText: 'Continue' }).click();
    await dialog.waitFor({ state: 'detached', timeout: uiWaitMs });

    const gone = await until(
      async () =>
        (await admin.query('SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = $1', [a.pid])).rowCount === 0,
    );
    assert.ok(gone, `PID ${a.pid} has ended`);
    assert.equal(await b.running, undefined, 'B got its lock');
    // resuming refreshes at once and every 2 s again
    await typeInPalette(page, 'Resume Live Activity');
    await paletteRow(page, 'Resume Live Activity').click();
    await treeRow(activity, 'Blocking: 1 blocker(s), 1 waiting').waitFor({ state: 'visible', timeout: uiWaitMs });
    const rowB = treeRow(activity, `${b.pid} postgres@postgres [ui chain B]`);
    const rowC = treeRow(activity, `${c.pid} postgres@postgres [ui chain C]`);
    assert.equal(await level(rowC), (await level(rowB)) + 1, 'C now waits under B');
    assert.equal(await treeRow(activity, `${a.pid} postgres@postgres`).count(), 0, 'A is gone from the view');
  });

  it('charts active sessions by wait type in the Activity panel, with the sessions and the blocking tree', async () => {
    const { page } = workbench();
    await typeInPalette(page, 'Show Activity Panel');
    await paletteRow(page, 'Show Activity Panel').click();
    await page
      .locator('.tab.active', { hasText: `Activity: ${profile}` })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    const panel = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    const sleeper = panel.locator('table.sessions tr', { hasText: 'ui live D' });
    await sleeper.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await sleeper.innerText(), /Timeout\/PgSleep/);
    assert.match(
      await panel.locator('pre.blocking').innerText(),
      new RegExp(`^${b.pid} postgres@postgres \\[ui chain B\\]`),
    );
    assert.match(
      await panel.locator('pre.blocking').innerText(),
      new RegExp(`\\n   └ ${c.pid} postgres@postgres \\[ui chain C\\] waits`),
    );
    const canvas = panel.locator('.chart canvas');
    await canvas.waitFor({ state: 'visible', timeout: uiWaitMs });
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, `the chart has room: ${JSON.stringify(box)}`);
    assert.match(await panel.locator('p.muted').first().innerText(), /refreshed every 2 s while shown/);
    await screenshot('activity-panel');
    await b.client.query('COMMIT');
    assert.equal(await c.running, undefined, 'C read the table once B committed');
  });
});

/**
 * UI: what a sweep asks before it touches a server, against a real PostgreSQL 18 (the OAuth rig's
 * server; its superuser signs in with SCRAM, the password read from the profiles' own passfile).
 * A sweep on a production profile asks for the typed name even without pgbench -i, and Escape means
 * no session, no CHECKPOINT and no stats reset on the server. Re-run this Report on a report received
 * from someone else shows the program and the file outside its folder, and Cancel runs and reads nothing.
 * Last, a sweep of a server setting picked from pg_settings runs, records it and puts it back.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import type { Page } from 'playwright-core';
import { readReport } from '../../../src/core/report';
import { writeReportAtomic } from '../../../src/core/report/write';
import { hostileReport } from '../../support/hostileReport';
import {
  addWorkspaceProfiles,
  contextMenuEntry,
  openPostgresOps,
  outputChannelLog,
  paletteRow,
  screenshot,
  screenshotOnFailure,
  sideBar,
  treeRow,
  typeInPalette,
  viewPane,
  workbench,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const database = 'ui_bench_consent';
const production = 'ui-bench-prod';
const ordinary = 'ui-bench-dev';
const secretText = 'Pl4nt3d-UI-S3cret';

/**
 * Picks the row whose label is exactly `label` in the quick pick titled `title`, as a keyboard user does:
 * filter, then Enter (a hover over another row's description can cover the row a mouse would click).
 */
async function pick(page: Page, title: string, label: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: uiWaitMs });
  await page.keyboard.type(label);
  const exact = page.locator('.label-name', { hasText: new RegExp(`^\\s*${label.replace(/[.]/g, '\\.')}\\s*$`) });
  await widget
    .locator('.quick-input-list .monaco-list-row.focused')
    .filter({ has: exact })
    .waitFor({ state: 'visible', timeout: uiWaitMs });
  await page.keyboard.press('Enter');
}

/** What a sweep changes on the server, read over the admin's own socket session (not through pgops). */
async function serverState(
  admin: Client,
): Promise<{ sessions: number; statsReset: string | null; checkpoints: number }> {
  const db = await admin.query<{ sessions: number; stats_reset: string | null }>(
    'SELECT sessions::int, stats_reset::text FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  const cp = await admin.query<{ n: number }>('SELECT num_requested::int AS n FROM pg_stat_checkpointer');
  return { sessions: db.rows[0].sessions, statsReset: db.rows[0].stats_reset, checkpoints: cp.rows[0].n };
}

/** Connections a sweep opens (its facts and admin sessions, and pgbench's), from the server log (log_connections = on). */
function sweepConnections(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => /connection authorized: .*application_name=(pgbench \(pgops\)|pgops bench)/.test(l));
}

async function runPaletteCommand(page: Page, title: string): Promise<void> {
  await typeInPalette(page, title);
  await paletteRow(page, title).click();
}

describe('Sweeps ask before they touch a server (UI, PostgreSQL 18)', () => {
  const passfile = (): string => path.join(workbench().workspace, 'ui-bench.pgpass');
  const dir = (): string => path.join(workbench().workspace, 'ui-bench-consent');
  const reportsDir = (): string => path.join(workbench().workspace, 'pgbench-reports');
  const reportsNow = (): string[] => (fs.existsSync(reportsDir()) ? fs.readdirSync(reportsDir()) : []);
  let restoreSettings = (): void => undefined;
  let admin: Client;

  before(async () => {
    const { server } = workbench().oauth;
    admin = await server.admin();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    fs.mkdirSync(dir(), { recursive: true });
    fs.writeFileSync(passfile(), `127.0.0.1:${server.port}:*:postgres:${server.password}\n`, { mode: 0o600 });
    const conninfo = `host=127.0.0.1 port=${server.port} user=postgres dbname=${database} sslmode=disable passfile=${passfile()}`;
    restoreSettings = addWorkspaceProfiles([
      { name: production, conninfo, production: true },
      { name: ordinary, conninfo },
    ]);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
    await workbench().page.keyboard.press('Escape');
  });

  after(async () => {
    // a sweep that ran when it should not have (the test failed) must not outlive the suite
    await typeInPalette(workbench().page, 'Postgres Ops: Cancel pgbench Sweep')
      .then(() => workbench().page.keyboard.press('Escape'))
      .catch(() => undefined);
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
    fs.rmSync(dir(), { recursive: true, force: true });
    fs.rmSync(passfile(), { force: true });
    restoreSettings();
  });

  it("asks for the production profile's name before a sweep without init; Escape leaves the server untouched", async () => {
    const { page, oauth } = workbench();
    // a plan with no pgbench -i: the workload, CHECKPOINT and pg_stat_reset() still change the server
    fs.writeFileSync(
      path.join(dir(), 'ui-no-init.pgbench-plan.json'),
      JSON.stringify({
        version: 1,
        values: [1],
        durationS: 1,
        init: 'never',
        builtin: [{ name: 'select-only', weight: 1 }],
        reset: { checkpoint: true, statStatementsReset: false, statReset: true },
        waits: { enabled: false, intervalMs: 200 },
        topStatements: 0,
      }),
    );
    const before = await serverState(admin);
    const reportsBefore = reportsNow();
    const connectionsBefore = sweepConnections(oauth.serverLog()).length;

    // the extension is active and has read the profiles once the Connections view lists them
    await openPostgresOps(page);
    await treeRow(viewPane(page, 'Connections'), production).waitFor({ state: 'visible', timeout: uiWaitMs });
    await runPaletteCommand(page, 'Postgres Ops: Run pgbench Sweep');
    await pick(page, 'Run pgbench Sweep: choose a connection', production);
    await pick(page, 'Run pgbench Sweep: plan', 'ui-bench-consent/ui-no-init.pgbench-plan.json');
    const widget = page.locator('.quick-input-widget');
    await widget
      .locator('.quick-input-title', { hasText: `Production connection "${production}"` })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    const prompt = await widget.innerText();
    assert.match(prompt, /pgbench sweep/, prompt);
    assert.match(prompt, /CHECKPOINT/, prompt);
    assert.match(prompt, /pg_stat_reset\(\)/, prompt);
    await screenshot('bench-production-typed-name');
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: uiWaitMs });

    // what a started sweep would have done shows within a few seconds; nothing may show
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(await serverState(admin), before, 'no session in the database, no CHECKPOINT, no stats reset');
    assert.deepEqual(
      sweepConnections(oauth.serverLog()).slice(connectionsBefore),
      [],
      "neither pgbench nor the sweep's sessions connected",
    );
    assert.deepEqual(reportsNow(), reportsBefore, 'no report was written');
  });

  it('Re-run this Report on a received report shows its program and the file outside its folder; Cancel runs and reads nothing', async () => {
    const { page, oauth, workspace } = workbench();
    // the "secret" lives outside the report's folder (and outside the workspace)
    const secretFile = path.join(path.dirname(workspace), 'ui-secret.pgpass');
    fs.writeFileSync(secretFile, `127.0.0.1:5432:*:postgres:${secretText}\n`, { mode: 0o600 });
    const marker = path.join(path.dirname(workspace), 'ui-marker-created-by-the-plan');
    writeReportAtomic(path.join(dir(), 'ui-received.pgperf.json'), hostileReport('ui-received', marker, secretFile));
    const reportsBefore = reportsNow();
    const connectionsBefore = sweepConnections(oauth.serverLog()).length;
    try {
      // from the Explorer's context menu on the report file, as a user who just received it
      await runPaletteCommand(page, 'View: Show Explorer');
      const folders = sideBar(page).locator('.explorer-folders-view');
      const folder = treeRow(folders, 'ui-bench-consent');
      await folder.waitFor({ state: 'visible', timeout: uiWaitMs });
      if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
      const file = folders.locator('.monaco-list-row[aria-label^="ui-received.pgperf.json"]');
      await file.waitFor({ state: 'visible', timeout: uiWaitMs });
      await contextMenuEntry(page, file, 'Re-run this Report');
      await pick(page, 'Re-run this Report: choose a connection', ordinary);

      const dialog = page.locator('.monaco-dialog-box', { hasText: 'ui-received.pgperf.json' });
      await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
      const text = await dialog.innerText();
      assert.ok(text.includes(`/usr/bin/touch ${marker}`), `shows the command line: ${text}`);
      assert.ok(text.includes(secretFile), `shows the file: ${text}`);
      assert.match(text, /outside/, text);
      assert.match(text, /report/, text);
      await screenshot('bench-rerun-consent');
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached', timeout: uiWaitMs });

      await new Promise((res) => setTimeout(res, 3000));
      assert.ok(!fs.existsSync(marker), 'the workload command did not run');
      assert.deepEqual(
        sweepConnections(oauth.serverLog()).slice(connectionsBefore),
        [],
        "neither pgbench nor the sweep's sessions connected",
      );
      assert.deepEqual(reportsNow(), reportsBefore, 'no report was written');
      assert.ok(!outputChannelLog().text.includes(secretText), "the file's content is not in the log");
    } finally {
      fs.rmSync(secretFile, { force: true });
      fs.rmSync(marker, { force: true });
    }
  });

  it('sweeps a server setting picked from pg_settings with its context, records it per iteration and puts it back', async () => {
    const { page } = workbench();
    const reportsBefore = reportsNow();
    const before = (await admin.query<{ v: string }>("SELECT current_setting('bgwriter_delay') AS v")).rows[0].v;
    await runPaletteCommand(page, 'Postgres Ops: Run pgbench Sweep');
    await pick(page, 'Run pgbench Sweep: choose a connection', ordinary);
    await pick(page, 'Run pgbench Sweep: plan', 'Clients and duration…');
    const widget = page.locator('.quick-input-widget');
    const answer = async (title: string, value: string) => {
      await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: uiWaitMs });
      await widget.locator('input').fill(value);
      await page.keyboard.press('Enter');
    };
    await answer('Client counts', '1');
    await answer('Seconds per iteration', '1');
    await widget
      .locator('.quick-input-title', { hasText: 'sweep a server setting too?' })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    await page.keyboard.type('bgwriter_delay');
    const row = widget.locator('.quick-input-list .monaco-list-row.focused');
    await row.filter({ hasText: 'bgwriter_delay' }).waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await row.innerText(), /sighup: ALTER SYSTEM \+ reload, put back at the end/);
    await screenshot('bench-setting-picker');
    await page.keyboard.press('Enter');
    await answer(`Values of bgwriter_delay (now ${before})`, '150ms,250ms');
    await answer('Runs of every cell', '1');

    let file: string | undefined;
    for (const deadline = Date.now() + uiWaitMs; !file && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 500));
      file = reportsNow().find((f) => f.endsWith('.pgperf.json') && !reportsBefore.includes(f));
      if (file && readReport(path.join(reportsDir(), file)).pgops?.status !== 'complete') file = undefined;
    }
    assert.ok(file, `a complete report appeared in ${reportsDir()}`);
    const report = readReport(path.join(reportsDir(), file));
    // the suites after this one expect the reports they wrote themselves (the front door: none at all)
    for (const written of reportsNow().filter((f) => !reportsBefore.includes(f)))
      fs.rmSync(path.join(reportsDir(), written), { recursive: true, force: true });
    assert.deepEqual(
      report.pgops?.iterations.map((it) => it.settings),
      [{ bgwriter_delay: '150ms' }, { bgwriter_delay: '250ms' }],
    );
    const inAutoConf = await admin.query(
      "SELECT setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' AND name = 'bgwriter_delay'",
    );
    assert.equal(inAutoConf.rowCount, 0, 'postgresql.auto.conf is clean again');
  });
});

/**
 * Patroni HA in the workbench, on a real cluster (etcd + three PostgreSQL 15 nodes under Patroni,
 * test/support/patroniCluster.ts): the HA Cluster view of a connection whose REST API is set through
 * Set Patroni REST API… (credentials into Secret Storage), a switchover from the view after its modal,
 * and a failover drill run from the view (Run Failover Drill…) whose report opens in the report viewer.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PatroniCluster } from '../../support/patroniCluster';
import { startPatroniCluster } from '../../support/patroniCluster';
import {
  addWorkspaceProfiles,
  answerInput,
  contextMenuEntry,
  disconnectProfile,
  inlineAction,
  openPostgresOps,
  paintedPixels,
  paletteRow,
  screenshot,
  screenshotOnFailure,
  showAllPanes,
  showOnlyPanes,
  treeRow,
  typeInPalette,
  uiWaitMs,
  viewPane,
  workbench,
} from '../../support/vscodeWorkbench';

/** A member's row: its name first, then its role and state (the cluster row also names the leader, later in its text). */
const memberRow = (pane: ReturnType<typeof viewPane>, name: string, roleAndState: string) =>
  pane.locator('.monaco-list-row').filter({ hasText: new RegExp(`^\\s*${name}\\s*${roleAndState}`) });

/** Where the extension writes reports in the rig (pgops.bench.reportsFolder's default, in the workspace). */
const reports = () => path.join(workbench().workspace, 'pgbench-reports');

describe('Patroni HA in the workbench: the HA Cluster view, a switchover, a drill report (UI, PostgreSQL 15)', () => {
  let cluster: PatroniCluster | undefined;
  let dir: string;
  let restoreSettings: (() => void) | undefined;
  const profile = 'ha-cluster';

  before(async function () {
    this.timeout(240_000);
    dir = path.join(workbench().workspace, 'ui-drill');
    fs.mkdirSync(dir, { recursive: true });
    cluster = await startPatroniCluster({ synchronousMode: true });
    await cluster.waitForRunning(3, 60_000);
    await cluster.waitForSyncStandby(30_000);
    const passfile = path.join(dir, 'ha.pgpass');
    fs.writeFileSync(passfile, `*:*:*:postgres:${cluster.superPassword}\n`, { mode: 0o600 });
    restoreSettings = addWorkspaceProfiles([
      {
        name: profile,
        conninfo: `${cluster.multiHostUri('target_session_attrs=read-write&sslmode=disable')}&passfile=${passfile}`,
      },
    ]);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async function () {
    this.timeout(60_000);
    const { page } = workbench();
    await disconnectProfile(page, profile);
    await showAllPanes(page);
    restoreSettings?.();
    // the front door expects Benchmark Reports empty: the drill's report and its HTML go
    if (fs.existsSync(reports()))
      for (const f of fs.readdirSync(reports()).filter((x) => x.startsWith('drill-')))
        fs.rmSync(path.join(reports(), f), { force: true });
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the members with the leader, after Set Patroni REST API… stores the URLs and the REST credentials', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    await showOnlyPanes(page, ['Connections', 'HA Cluster']);
    const row = treeRow(viewPane(page, 'Connections'), profile);
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await inlineAction(row, 'Connect');
    await row.filter({ hasText: /connected · PostgreSQL 15/ }).waitFor({ state: 'visible', timeout: uiWaitMs });
    const pane = viewPane(page, 'HA Cluster');
    await treeRow(pane, 'names no Patroni REST API').waitFor({ state: 'visible', timeout: uiWaitMs });
    await typeInPalette(page, 'Postgres Ops: Set Patroni REST API');
    await paletteRow(page, 'Postgres Ops: Set Patroni REST API').click();
    await answerInput(page, `Patroni REST API of "${profile}"`, cluster!.restUrls);
    await answerInput(page, /: user$/, cluster!.restUser);
    await answerInput(page, /: password$/, cluster!.restPassword);
    const scopeRow = treeRow(pane, cluster!.scope);
    await scopeRow
      .filter({ hasText: /leader node\d · TL \d+ · synchronous_mode/ })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    const leader = await cluster!.waitForLeader(10_000);
    await memberRow(pane, leader, 'leader · running').waitFor({ state: 'visible', timeout: uiWaitMs });
    for (const n of cluster!.nodes.filter((x) => x.name !== leader))
      await memberRow(pane, n.name, '(replica|sync_standby) · running').waitFor({
        state: 'visible',
        timeout: uiWaitMs,
      });
    const settings = fs.readFileSync(path.join(workbench().workspace, '.vscode', 'settings.json'), 'utf8');
    assert.ok(settings.includes(cluster!.nodes[0].restUrl), 'the URLs are in the profile');
    assert.ok(!settings.includes(cluster!.restPassword), 'the REST password is not in settings');
    await screenshot('cluster-view', pane);
  });

  it('switches over from the cluster row after the modal; the view then shows the new leader', async () => {
    const { page } = workbench();
    const pane = viewPane(page, 'HA Cluster');
    const before = await cluster!.waitForLeader(10_000);
    await inlineAction(treeRow(pane, cluster!.scope), 'Switch Over');
    const dialog = page.locator('.monaco-dialog-box', { hasText: /Switch over/i });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await dialog.innerText(), new RegExp(`from ${before} to node\\d`));
    await dialog.locator('.monaco-button', { hasText: 'Continue' }).click();
    const after = await cluster!.waitForLeader(60_000, before);
    await memberRow(pane, after, 'leader · running').waitFor({ state: 'visible', timeout: uiWaitMs });
    await cluster!.waitForRunning(3, 60_000);
  });

  it('runs a switchover drill from the cluster row: after the modal its report opens with the write gap, lost writes and timeline chart', async () => {
    const { page } = workbench();
    await typeInPalette(page, 'View: Close All Editors');
    await paletteRow(page, 'View: Close All Editors').click();
    const pane = viewPane(page, 'HA Cluster');
    // synchronous_mode: only a sync standby may take over, and Patroni names one again a loop after the switchover
    await cluster!.waitForSyncStandby(30_000);
    const leader = await cluster!.waitForLeader(10_000);
    await contextMenuEntry(page, treeRow(pane, cluster!.scope), 'Run Failover Drill…');
    await answerInput(page, /^Failover drill on /, 'Switchover');
    await answerInput(page, /how long the probe writer runs/, '5');
    const dialog = page.locator('.monaco-dialog-box', { hasText: /switchover drill/i });
    await dialog.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await dialog.innerText(), /inserts a row into public\.pgops_drill every 100 ms/);
    await dialog.locator('.monaco-button', { hasText: 'Continue' }).click();
    const viewer = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    const section = viewer.locator('section.drill');
    await section.waitFor({ state: 'visible', timeout: uiWaitMs });
    const written = fs.readdirSync(reports()).filter((f) => /^drill-switchover-.*\.pgperf\.json$/.test(f));
    assert.equal(written.length, 1, written.join(', '));
    const report = JSON.parse(fs.readFileSync(path.join(reports(), written[0]), 'utf8')) as {
      pgops: { drill: { writeGapMs: number; lost: number; leaderBefore: string; leaderAfter: string } };
    };
    const d = report.pgops.drill;
    assert.equal(d.leaderBefore, leader);
    assert.notEqual(d.leaderAfter, leader);
    const text = await section.innerText();
    assert.match(text, new RegExp(`writes stopped for ${(d.writeGapMs / 1000).toFixed(2)} s`));
    assert.match(text, /no acknowledged write was lost/);
    assert.match(text, new RegExp(`${d.leaderBefore} → ${d.leaderAfter}`));
    const canvas = section.locator('figure.chart canvas');
    await canvas.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.equal(
      await section.locator('figure.chart figcaption').innerText(),
      'Writes per 100 ms: acknowledged and failed, with the event and the outage',
    );
    const painted = await paintedPixels(canvas);
    assert.ok(painted > 500, `the timeline is drawn (${painted} pixels)`);
    await screenshot('report-drill', section);
  });
});

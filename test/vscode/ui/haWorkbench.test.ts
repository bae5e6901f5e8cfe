/**
 * A failover drill's report in the viewer, as a user opens it: a real switchover drill (`pgops drill`, in
 * this process) on a real Patroni cluster (etcd + three PostgreSQL 15 nodes, test/support/patroniCluster.ts),
 * then the written *.pgperf.json opened in the workbench: the measures and the timeline of writes per 100 ms.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCliInProcess } from '../../integration/cliProcess';
import type { PatroniCluster } from '../../support/patroniCluster';
import { startPatroniCluster } from '../../support/patroniCluster';
import {
  paletteRow,
  quickOpen,
  screenshot,
  screenshotOnFailure,
  typeInPalette,
  uiWaitMs,
  workbench,
} from '../../support/vscodeWorkbench';

describe('A failover drill in the report viewer (UI, Patroni + PostgreSQL 15)', () => {
  let cluster: PatroniCluster | undefined;
  let dir: string;

  before(async function () {
    this.timeout(240_000);
    dir = path.join(workbench().workspace, 'ui-drill');
    fs.mkdirSync(dir, { recursive: true });
    cluster = await startPatroniCluster({ synchronousMode: true });
    const r = await runCliInProcess(
      cluster.drillArgs(
        'switchover',
        '--duration',
        '5',
        '--event-at',
        '2',
        '--report-name',
        'ui-drill',
        '--out',
        dir,
        '--yes',
      ),
      dir,
      cluster.cliEnv(),
    );
    assert.equal(r.code, 0, r.err);
    await cluster.stop();
    cluster = undefined;
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async function () {
    this.timeout(60_000);
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the write gap, the lost writes and the timeline chart of acknowledged and failed writes', async () => {
    const { page } = workbench();
    await typeInPalette(page, 'View: Close All Editors');
    await paletteRow(page, 'View: Close All Editors').click();
    await quickOpen(page, 'ui-drill.pgperf.json');
    const viewer = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    const section = viewer.locator('section.drill');
    await section.waitFor({ state: 'visible', timeout: uiWaitMs });
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'ui-drill.pgperf.json'), 'utf8')) as {
      pgops: { drill: { writeGapMs: number; lost: number; leaderBefore: string; leaderAfter: string } };
    };
    const d = report.pgops.drill;
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
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
      return n;
    });
    assert.ok(painted > 500, `the timeline is drawn (${painted} pixels)`);
    await screenshot('report-drill', section);
  });
});

/**
 * A settings sweep's report in the viewer, as a user opens it: real sweeps (`pgops bench --set`, the
 * real pgbench against the rig's PostgreSQL 18) of a sort that spills at work_mem 64kB and fits at
 * 64MB. One setting × two client counts × two runs: tps against work_mem with a line per client
 * count and 95% bars, the wait events of every cell as shares, the latency CDF per cell. Two
 * settings: the heatmap table of mean tps.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { runCliInProcess } from '../../integration/cliProcess';
import { sortWorkload } from '../../integration/diagSupport';
import {
  paintedPixels,
  paletteRow,
  quickOpen,
  screenshot,
  screenshotOnFailure,
  typeInPalette,
  uiWaitMs,
  workbench,
} from '../../support/vscodeWorkbench';

const database = 'ui_matrix';

describe('A settings sweep in the report viewer (UI, PostgreSQL 18)', () => {
  let dir: string;
  let uri: string;

  /** `pgops bench` in this process, against the rig's server; fails the test with its stderr. */
  async function bench(args: string[]): Promise<void> {
    // every transaction logged: these 1 s runs of a slow sort are too few for the default sample to draw a CDF from
    const base = [
      'bench',
      '--conn',
      uri,
      '--time',
      '1',
      '--init',
      'never',
      '--file',
      'sort.sql',
      '--sampling-rate',
      '1',
      '--out',
      dir,
    ];
    const r = await runCliInProcess([...base, ...args], dir);
    assert.equal(r.code, 0, r.err);
  }

  before(async function () {
    this.timeout(300_000);
    dir = path.join(workbench().workspace, 'ui-matrix');
    fs.mkdirSync(dir, { recursive: true });
    uri = await sortWorkload(workbench().oauth.server, database, dir);
    await bench(['--clients', '1,2', '--repeat', '2', '--set', 'work_mem=64kB,64MB', '--report-name', 'ui-matrix']);
    await bench(['--clients', '2', '--set', 'work_mem=64kB,64MB', '--set', 'jit=off,on', '--report-name', 'ui-two']);
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    const admin = await workbench().oauth.server.admin();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => admin.end());
  });

  async function open(fileName: string): Promise<FrameLocator> {
    const { page } = workbench();
    await typeInPalette(page, 'View: Close All Editors');
    await paletteRow(page, 'View: Close All Editors').click();
    await quickOpen(page, fileName);
    const viewer = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
    await viewer.locator('figure.chart canvas').first().waitFor({ state: 'visible', timeout: uiWaitMs });
    return viewer;
  }

  it('draws tps against work_mem per client count with 95% bars, the waits of every cell and the latency CDF', async () => {
    const viewer = await open('ui-matrix.pgperf.json');
    const captions = await viewer.locator('figure.chart figcaption').allInnerTexts();
    for (const title of [
      'tps vs work_mem (mean of the runs, 95% interval)',
      'latency distribution (CDF, per-transaction log)',
      'wait events per cell (share of samples, %)',
    ])
      assert.ok(captions.includes(title), `${title} in ${captions.join(' | ')}`);
    for (const title of [
      'tps vs work_mem (mean of the runs, 95% interval)',
      'latency distribution (CDF, per-transaction log)',
    ]) {
      const canvas = viewer.locator('figure.chart', { hasText: title }).locator('canvas');
      assert.ok((await paintedPixels(canvas)) > 500, `${title} is drawn`);
    }
    // the legend and the axis are drawn on the canvas; the chart's data is what the viewer was given
    const table = await viewer.locator('table.results').innerText();
    assert.equal((table.match(/\bcomplete\b/g) ?? []).length, 8, 'two cells × two client counts × two runs');
    await screenshot('report-matrix', viewer.locator('section.charts'));
  });

  it('shows two swept settings as a heatmap table of mean tps', async () => {
    const viewer = await open('ui-two.pgperf.json');
    const heatmap = viewer.locator('table.heatmap');
    await heatmap.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(await heatmap.locator('caption').innerText(), /mean tps at 2 clients: work_mem down, jit across/);
    assert.deepEqual(await heatmap.locator('thead th').allInnerTexts(), ['work_mem', 'jit=off', 'jit=on']);
    assert.deepEqual(await heatmap.locator('tbody th').allInnerTexts(), ['64kB', '64MB']);
    const values = (await heatmap.locator('td.num').allInnerTexts()).map((v) => Number(v.replace(/,/g, '')));
    assert.equal(values.length, 4);
    assert.ok(
      values.every((v) => v > 0),
      values.join(', '),
    );
    const shades = await heatmap
      .locator('td.num')
      .evaluateAll((tds) => tds.map((td) => (td as HTMLElement).style.getPropertyValue('--heat')));
    assert.ok(shades.includes('100'), `the best cell is shaded fully: ${shades.join(', ')}`);
    await screenshot('report-matrix-heatmap', viewer.locator('section.charts'));
  });
});

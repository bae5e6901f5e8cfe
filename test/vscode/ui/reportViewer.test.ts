/**
 * The report viewer as a user sees it in the workbench: a sweep report shows its results table and
 * charts; a corrupted file shows what is wrong and where; a report carrying script in its values
 * executes nothing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { newReport, pgbenchOutputsItem, plainTextItem, setItem, tableItem } from '../../../src/core/report/items';
import type { IterationResult, Report } from '../../../src/core/report/model';
import { writeReportAtomic } from '../../../src/core/report/write';
import {
  paletteRow,
  quickOpen,
  screenshot,
  screenshotOnFailure,
  setWorkspaceSetting,
  typeInPalette,
  workbench,
  uiWaitMs,
  until,
} from '../../support/vscodeWorkbench';

const hostile = [
  '<script>window.__pwned = "script";</script>',
  '</script><img src=x onerror="window.__pwned = \'img\'">',
];

function sweepReport(name: string, settingValue = '16384'): Report {
  const r = newReport({ reportName: name });
  const its: IterationResult[] = [1, 2, 4].map((c, index) => ({
    index,
    value: c,
    clients: c,
    status: 'complete',
    tps: 800 * c,
    latencyAvgMs: 1.2,
    latencyStddevMs: 0.3,
    initialConnectionMs: 2,
    processed: 2400 * c,
    failed: 0,
    skipped: 0,
    durationS: 3,
    percentiles: { p50: 1, p90: 1.5, p95: 2, p99: 3, max: 8 },
    series: [1, 2, 3].map((t) => ({ t, tps: 800 * c + t, latencyMs: 1.2 })),
    waitEvents: [{ type: 'CPU', event: 'CPU', samples: 5 }],
  }));
  (r.pgops as NonNullable<Report['pgops']>).iterations = its;
  setItem(r, 'db', 'version_major', plainTextItem('PostgreSQL major version', 'PostgreSQL 18.1', { state: 'hidden' }));
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem(
      'PostgreSQL settings',
      ['name', 'setting'],
      [
        ['application_name', settingValue],
        ['cluster_name', hostile[1]],
        ['shared_buffers', '16384'],
      ],
    ),
  );
  setItem(r, 'result', 'pgbench_outputs', pgbenchOutputsItem(its));
  return r;
}

/** Opens a workspace file with Quick Open and returns the frame of the viewer that shows it. */
async function openInViewer(page: Page, fileName: string): Promise<FrameLocator> {
  await typeInPalette(page, 'View: Close All Editors');
  await paletteRow(page, 'View: Close All Editors').click();
  await quickOpen(page, fileName);
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

describe('report viewer tab (UI)', () => {
  let dir: string;
  before(() => {
    dir = path.join(workbench().workspace, 'ui-reports');
    fs.mkdirSync(dir, { recursive: true });
  });
  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows the results table and the chart canvases of a sweep report', async () => {
    const { page } = workbench();
    writeReportAtomic(path.join(dir, 'ui-sweep.pgperf.json'), sweepReport('ui-sweep'));
    const viewer = await openInViewer(page, 'ui-sweep.pgperf.json');
    await viewer.locator('table.results tbody tr').first().waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.equal(await viewer.locator('table.results tbody tr').count(), 3);
    assert.match(await viewer.locator('h1').innerText(), /ui-sweep/);
    const canvas = viewer.locator('figure.chart canvas').first();
    await canvas.waitFor({ state: 'visible', timeout: uiWaitMs });
    const painted = await canvas.evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
      return n;
    });
    assert.ok(painted > 500, `the tps chart drew ${painted} pixels`);
    assert.equal(
      await viewer.locator('figure.chart').count(),
      5,
      'tps, latency, per-second tps and latency, wait events',
    );
    await screenshot('report-viewer-sweep');
  });

  it('redraws its charts in the new colours when the colour theme changes', async () => {
    const { page } = workbench();
    writeReportAtomic(path.join(dir, 'ui-theme.pgperf.json'), sweepReport('ui-theme'));
    const viewer = await openInViewer(page, 'ui-theme.pgperf.json');
    const canvas = viewer.locator('figure.chart canvas').first();
    await canvas.waitFor({ state: 'visible', timeout: uiWaitMs });
    // the colour the charts' axes, titles and legends are drawn in, as rgb
    const foreground = () =>
      viewer.locator('body').evaluate((body) => {
        const probe = document.createElement('span');
        probe.style.color = getComputedStyle(body).getPropertyValue('--pgops-fg').trim();
        body.appendChild(probe);
        const rgb = getComputedStyle(probe).color;
        probe.remove();
        return rgb.match(/\d+/g)?.slice(0, 3).map(Number) ?? [];
      });
    /** Pixels of the tps chart within 2 of an rgb colour: the text and lines drawn in it. */
    const pixelsOf = (rgb: number[]) =>
      canvas.evaluate((c: HTMLCanvasElement, [r, g, b]) => {
        const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          const close = Math.abs(data[i] - r) <= 2 && Math.abs(data[i + 1] - g) <= 2 && Math.abs(data[i + 2] - b) <= 2;
          if (close && data[i + 3] === 255) n += 1;
        }
        return n;
      }, rgb);
    const before = await foreground();
    const restore = setWorkspaceSetting('workbench.colorTheme', 'Default Light Modern');
    try {
      assert.ok(
        await until(async () => (await foreground()).join() !== before.join()),
        'the theme switched: the foreground changed',
      );
      const after = await foreground();
      assert.ok(
        await until(async () => (await pixelsOf(after)) > 100),
        `the chart is drawn in the light theme's foreground ${after.join()}`,
      );
      const old = await pixelsOf(before);
      assert.ok(
        old < (await pixelsOf(after)) / 2,
        `little is left in the old foreground ${before.join()}: ${old} pixels`,
      );
      await screenshot('report-viewer-light-theme');
    } finally {
      restore();
    }
    assert.ok(await until(async () => (await foreground()).join() === before.join()), 'the theme is back');
  });

  it("exports the open report as a self-contained HTML file next to it from the tab's Export HTML button", async () => {
    const { page } = workbench();
    const target = path.join(dir, 'ui-sweep.html');
    fs.rmSync(target, { force: true });
    const viewer = await openInViewer(page, 'ui-sweep.pgperf.json');
    const button = viewer.locator('vscode-button.export');
    await button.waitFor({ state: 'visible', timeout: uiWaitMs });
    await button.click();
    await until(() => fs.existsSync(target));
    assert.ok(fs.existsSync(target), `${target} written`);
    const html = fs.readFileSync(target, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<script type="application\/json" id="pgops-report-data">/);
    await page
      .locator('.notifications-toasts', { hasText: 'Exported ui-sweep.html' })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
  });

  it('shows a corrupted report as a message naming the file, the problem and the line', async () => {
    const { page } = workbench();
    fs.writeFileSync(path.join(dir, 'ui-broken.pgperf.json'), '{\n  "header": "x",\n  "sections": {\n');
    const viewer = await openInViewer(page, 'ui-broken.pgperf.json');
    const error = viewer.locator('.load-error');
    await error.waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = await error.innerText();
    assert.match(text, /This report cannot be shown/);
    assert.match(text, /ui-broken\.pgperf\.json/);
    assert.match(text, /not valid JSON.*line 4/);
    await screenshot('report-viewer-broken');
  });

  it('executes none of the script carried in pg_settings values', async () => {
    const { page } = workbench();
    writeReportAtomic(path.join(dir, 'ui-hostile.pgperf.json'), sweepReport('ui-hostile', hostile[0]));
    const viewer = await openInViewer(page, 'ui-hostile.pgperf.json');
    const settings = viewer.locator('vscode-collapsible.item[data-key="db.pg_settings"]');
    await settings.waitFor({ state: 'attached', timeout: uiWaitMs });
    await page.waitForTimeout(500);
    const body = viewer.locator('body');
    assert.equal(await body.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
    assert.equal(await body.evaluate(() => document.querySelectorAll('img, iframe, [onerror]').length), 0);
    const text = await settings.evaluate((el) => el.textContent ?? '');
    assert.ok(text.includes(hostile[0]) && text.includes(hostile[1]), 'the values are shown as text');
    await screenshot('report-viewer-hostile');
  });
});

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { renderReportHtml } from '../../src/core/report/html';
import { newReport, pgbenchOutputsItem, plainTextItem, setItem, tableItem } from '../../src/core/report/items';
import { joinReports } from '../../src/core/report/join';
import type { IterationResult, Report } from '../../src/core/report/model';
import { readReport } from '../../src/core/report/read';
import { tempDir } from '../support/servers';

const root = path.resolve(__dirname, '..', '..', '..');
const hostile = [
  '<script>window.__pwned = "script";</script>',
  '</script><img src=x onerror="window.__pwned = \'img\'">',
  '"><svg onload="window.__pwned = \'svg\'">',
  '\u2028</SCRIPT ><script>window.__pwned = "upper"</script>',
];

function iteration(index: number, clients: number, tps: number): IterationResult {
  return {
    index,
    value: clients,
    clients,
    status: 'complete',
    tps,
    latencyAvgMs: (1000 * clients) / tps,
    latencyStddevMs: 0.4,
    initialConnectionMs: 2.5,
    processed: tps * 3,
    failed: 0,
    skipped: 0,
    durationS: 3,
    percentiles: { p50: 0.9, p90: 1.4, p95: 1.9, p99: 3.1, max: 9.8 },
    series: [1, 2, 3].map((t) => ({ t, tps: tps + t, latencyMs: 1 + t / 10 })),
    waitEvents: [
      { type: 'LWLock', event: 'WALWrite', samples: 4 },
      { type: 'CPU', event: 'CPU', samples: 9 },
    ],
  };
}

/** A report whose text fields carry markup and script that must stay inert text. */
function hostileReport(): Report {
  const r = newReport({ reportName: `evil ${hostile[1]}` });
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem(
      'PostgreSQL settings',
      ['name', 'setting'],
      [
        ['application_name', hostile[0]],
        ['cluster_name', hostile[1]],
        ['search_path', hostile[3]],
        ['shared_buffers', '16384'],
      ],
    ),
  );
  setItem(r, 'system', 'cpu_info', plainTextItem(`CPU ${hostile[2]}`, hostile.join('\n'), { description: hostile[1] }));
  const its = [iteration(0, 1, 900), iteration(1, 2, 1700), iteration(2, 4, 3000)];
  (r.pgops as NonNullable<Report['pgops']>).iterations = its;
  setItem(r, 'result', 'pgbench_outputs', pgbenchOutputsItem(its));
  return r;
}

describe('report HTML export in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let dir: string;

  before(async () => {
    assert.ok(
      fs.existsSync(path.join(root, 'dist', 'webview', 'report.js')),
      'dist/webview/report.js missing: run `npm run build` (node scripts/build.mjs) first',
    );
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
    });
    dir = tempDir('report-html');
  });

  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a file with every network request refused and recorded, and every console error kept. */
  async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') && url.endsWith(path.basename(file))) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    await page.waitForSelector('table.results tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('canvas').length >= 2);
    return { page, requests, errors };
  }

  it('runs none of the script in report values, shows them as text, fetches nothing', async () => {
    const file = path.join(dir, 'hostile.html');
    fs.writeFileSync(file, renderReportHtml(hostileReport()));
    const { page, requests, errors } = await open(file);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
    // querySelectorAll stays in the light DOM: the components' own shadow DOM icons are not report content.
    assert.equal(
      await page.evaluate(() => document.querySelectorAll('img, svg, iframe, [onerror], [onload]').length),
      0,
      'no element was created from report text',
    );
    assert.equal(await page.locator('script').count(), 2, 'only the data block and the bundle');
    const settingsText = await page.locator('vscode-collapsible.item[data-key="db.pg_settings"]').textContent();
    assert.ok(
      settingsText?.includes(hostile[0]) && settingsText.includes(hostile[1]),
      'the values appear literally as text',
    );
    assert.ok((await page.locator('h1').textContent())?.includes(hostile[1]));
    assert.deepEqual(requests, []);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: path.join(dir, 'hostile.png'), fullPage: true });
    await page.context().close();
  });

  it('draws the results table, the charts and the per-second and wait-event charts, and filters rows', async () => {
    const file = path.join(dir, 'charts.html');
    fs.writeFileSync(file, renderReportHtml(hostileReport()));
    const { page, errors } = await open(file);
    assert.equal(await page.locator('table.results tbody tr').count(), 3);
    assert.deepEqual(await page.locator('figure.chart figcaption').allTextContents(), [
      'tps vs pgbench_clients',
      'latency vs pgbench_clients',
      'tps per second',
      'latency per second',
      'wait events sampled per iteration',
    ]);
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].every((c) => c.width > 0 && c.height > 0),
    );
    assert.ok(drawn);
    // Sorting by tps descending puts the 4-client iteration first.
    const tpsHeader = page.locator('table.results th', { hasText: /^tps$/ });
    await tpsHeader.click();
    await tpsHeader.click();
    assert.equal(await page.locator('table.results tbody tr').first().locator('td').nth(1).textContent(), '4');
    await page.locator('vscode-textfield.filter').evaluate((el) => {
      (el as HTMLElement & { value: string }).value = 'shared_buffers';
      el.dispatchEvent(new Event('input'));
    });
    const visible = await page
      .locator('vscode-collapsible.item[data-key="db.pg_settings"] tbody tr:not([hidden])')
      .allTextContents();
    assert.deepEqual(visible, ['shared_buffers16384']);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('renders a pg_perfbench report and a joined report offline', async () => {
    const a = readReport(
      path.join(root, 'test', 'fixtures', 'reports', 'perfbench', 'same-host', 'benchmark-config-a.json'),
    );
    const b = readReport(
      path.join(root, 'test', 'fixtures', 'reports', 'perfbench', 'same-host', 'benchmark-config-b.json'),
    );
    const merged = joinReports(
      [
        { file: 'a.json', report: a },
        { file: 'b.json', report: b },
      ],
      { task: { description: 'x', items: ['sections.db.reports.version_major.data'] }, reportName: 'joined' },
    );
    for (const [name, report, rows] of [
      ['perfbench', a, 2],
      ['joined', merged, 4],
    ] as const) {
      const file = path.join(dir, `${name}.html`);
      fs.writeFileSync(file, renderReportHtml(report));
      const { page, requests, errors } = await open(file);
      assert.equal(await page.locator('table.results tbody tr').count(), rows, name);
      assert.deepEqual(requests, [], name);
      assert.deepEqual(errors, [], name);
      await page.context().close();
    }
  });
});

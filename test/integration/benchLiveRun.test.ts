/**
 * The live-run webview bundle (dist/webview/liveRun.js, built by `npm run build`) in headless
 * Chromium: the VS Code webview API is the one thing that cannot exist here, so a two-line stand-in
 * for acquireVsCodeApi records what the page posts. Messages are the ones the host sends.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { HostToLiveRun } from '../../src/extension/panels/liveRunMessages';
import { repoRoot } from '../support/servers';

describe('bench live run webview', function () {
  this.timeout(60_000);

  it('says ready, draws per-second points, lists finished iterations and renders markup as text', async () => {
    const bundle = path.join(repoRoot, 'dist', 'webview', 'liveRun.js');
    assert.ok(fs.existsSync(bundle), `${bundle} is missing: run npm run build`);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setContent(`<!DOCTYPE html><html><body><div id="app"></div>
<script>window.sent = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.sent.push(m) });</script></body></html>`);
      await page.addScriptTag({ content: fs.readFileSync(bundle, 'utf8') });
      assert.deepEqual(await page.evaluate(() => (window as unknown as { sent: unknown[] }).sent), [{ type: 'ready' }]);
      const messages: HostToLiveRun[] = [
        { type: 'start', title: 'pgbench sweep on sandbox', iterName: 'pgbench_clients', values: [1, 2] },
        { type: 'iteration-start', index: 0, value: 1, commandLine: 'pgbench -c 1 <img src=x onerror="window.pwned=1">' },
        { type: 'progress', index: 0, point: { t: 1, tps: 500, latencyMs: 2 } },
        { type: 'progress', index: 0, point: { t: 2, tps: 520, latencyMs: 1.9 } },
        { type: 'iteration-end', summary: { index: 0, value: 1, status: 'complete', tps: 510.123, latencyAvgMs: 1.95, p95Ms: 3.2 } },
        { type: 'done', status: 'interrupted', message: 'The run was cancelled' },
      ];
      for (const m of messages) await page.evaluate((msg) => window.postMessage(msg, '*'), m);
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('h2'), 'pgbench sweep on sandbox');
      assert.equal(await page.textContent('pre.command'), 'pgbench -c 1 <img src=x onerror="window.pwned=1">');
      assert.equal(await page.locator('img').count(), 0);
      assert.deepEqual(await page.locator('.results li').allTextContents(), ['clients 1: complete, 510.12 tps, latency avg 1.95 ms, p95 3.2 ms']);
      assert.equal(await page.textContent('.phase'), 'interrupted: The run was cancelled');
      assert.equal(await page.locator('canvas').count(), 2);
      assert.deepEqual(errors, []);
      fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(repoRoot, 'test-results', 'bench-live-run.png') });
    } finally {
      await browser.close();
    }
  });
});

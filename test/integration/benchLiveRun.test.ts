/**
 * The live-run webview bundle (dist/webview/liveRun.js, built by `npm run build`) in headless
 * Chromium: the VS Code webview API is the one thing that cannot exist here, so a two-line stand-in
 * for acquireVsCodeApi records what the page posts. Messages are the ones the host sends.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostToLiveRun } from '../../src/extension/panels/liveRunMessages';
import { repoRoot } from '../support/servers';
import { withWebviewPage } from '../support/webviewPage';

describe('bench live run webview', function () {
  this.timeout(60_000);

  it('says ready, draws per-second points, lists finished iterations and renders markup as text', async () => {
    await withWebviewPage('liveRun', async (page, errors) => {
      assert.deepEqual(await page.evaluate(() => (window as unknown as { sent: unknown[] }).sent), [{ type: 'ready' }]);
      const messages: HostToLiveRun[] = [
        { type: 'start', title: 'pgbench sweep on sandbox', iterName: 'pgbench_clients', values: [1, 2] },
        {
          type: 'iteration-start',
          index: 0,
          value: 1,
          commandLine: 'pgbench -c 1 <img src=x onerror="window.pwned=1">',
        },
        { type: 'progress', index: 0, point: { t: 1, tps: 500, latencyMs: 2 } },
        { type: 'progress', index: 0, point: { t: 2, tps: 520, latencyMs: 1.9 } },
        {
          type: 'iteration-end',
          summary: { index: 0, value: 1, status: 'complete', tps: 510.123, latencyAvgMs: 1.95, p95Ms: 3.2 },
        },
        { type: 'done', status: 'interrupted', message: 'The run was cancelled' },
      ];
      for (const m of messages) await page.evaluate((msg) => window.postMessage(msg, '*'), m);
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('h2'), 'pgbench sweep on sandbox');
      assert.equal(await page.textContent('pre.command'), 'pgbench -c 1 <img src=x onerror="window.pwned=1">');
      assert.equal(await page.locator('img').count(), 0);
      assert.deepEqual(await page.locator('.results li').allTextContents(), [
        'clients 1: complete, 510.12 tps, latency avg 1.95 ms, p95 3.2 ms',
      ]);
      assert.equal(await page.textContent('.phase'), 'interrupted: The run was cancelled');
      assert.equal(await page.locator('canvas').count(), 2);
      assert.deepEqual(errors, []);
      fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(repoRoot, 'test-results', 'bench-live-run.png') });
    });
  });
});

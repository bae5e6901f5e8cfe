/**
 * The statement-detail and peek webview bundles (dist/webview/{statement,peek}.js, built by
 * `npm run build`) in headless Chromium. The VS Code webview API cannot exist here, so a stand-in
 * acquireVsCodeApi records what the page posts; the messages are the ones the host sends.
 */
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { HostToPeek, HostToStatement } from '../../src/protocol';
import { withWebviewPage as withPage } from '../support/webviewPage';

const sent = (page: Page) => page.evaluate(() => (window as unknown as { sent: unknown[] }).sent);

describe('diag webviews (statement detail, peek table)', function () {
  this.timeout(60_000);

  it('statement detail: counters, SQL as text, a chart, and Open in editor / EXPLAIN posted to the host', async () => {
    await withPage('statement', async (page, errors) => {
      assert.deepEqual(await sent(page), [{ type: 'ready' }]);
      const show: HostToStatement = {
        type: 'show',
        canExplain: true,
        points: [
          { at: 1000, seconds: 5, calls: 10, totalMs: 20, rows: 10 },
          { at: 6000, seconds: 5, calls: 30, totalMs: 50, rows: 30 },
        ],
        statement: {
          queryid: '42',
          query: 'SELECT $1 /* <img src=x onerror="window.pwned=1"> */',
          user: 'app',
          database: 'shop',
          toplevel: true,
          calls: 40,
          totalMs: 70,
          meanMs: 1.75,
          rows: 40,
          sharePct: 12.5,
          statsSince: null,
          counters: { calls: 40, sharedBlksRead: 7 },
          gauges: { maxExecMs: 9.5 },
        },
      };
      await page.evaluate((m) => window.postMessage(m, '*'), show);
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('h2'), 'Statement 42');
      assert.match((await page.textContent('pre')) ?? '', /<img src=x/);
      assert.equal(await page.locator('img').count(), 0);
      assert.deepEqual(await page.locator('table tr th').allTextContents(), ['calls', 'sharedBlksRead', 'maxExecMs']);
      assert.equal(await page.locator('canvas').count(), 1);
      await page.click('text=Open in editor');
      await page.click('text=EXPLAIN (GENERIC_PLAN)');
      assert.deepEqual(await sent(page), [{ type: 'ready' }, { type: 'openInEditor' }, { type: 'explain' }]);
      await page.evaluate((m) => window.postMessage(m, '*'), {
        type: 'plan',
        text: 'Seq Scan on t',
      } satisfies HostToStatement);
      await page.waitForTimeout(100);
      assert.match((await page.locator('pre').nth(1).textContent()) ?? '', /Seq Scan on t/);
      assert.deepEqual(errors, []);
    });
  });

  it('peek table: one row per change, filterable, text only', async () => {
    await withPage('peek', async (page, errors) => {
      assert.deepEqual(await sent(page), [{ type: 'ready' }]);
      const show: HostToPeek = {
        type: 'show',
        slotName: 'sub1',
        plugin: 'pgoutput',
        options: { proto_version: '1', publication_names: '"pub"' },
        limit: 200,
        warnings: ['skipped loading publication "<i>late</i>": it did not exist yet'],
        rows: [
          { lsn: '0/1', xid: '700', kind: 'begin', text: 'BEGIN 700' },
          {
            lsn: '0/2',
            xid: '700',
            kind: 'insert',
            relation: 'public.t',
            text: "table public.t: INSERT: id[integer]:1 name[text]:'<b>x</b>'",
          },
          { lsn: '0/3', xid: '700', kind: 'commit', text: 'COMMIT 700' },
        ],
      };
      await page.evaluate((m) => window.postMessage(m, '*'), show);
      await page.waitForTimeout(100);
      assert.equal(await page.textContent('h2'), 'Peek: sub1 (pgoutput)');
      assert.equal(await page.locator('table tr').count(), 4);
      assert.equal(await page.locator('b').count(), 0);
      assert.equal(
        await page.locator('p.warning').textContent(),
        'Server warning: skipped loading publication "<i>late</i>": it did not exist yet',
      );
      assert.equal(await page.locator('i').count(), 0);
      await page.fill('input', 'insert');
      assert.equal(await page.locator('table tr').count(), 2);
      assert.deepEqual(errors, []);
    });
  });
});

/**
 * The report viewer bundle as the custom editor runs it (dist/webview/report.js in headless Chromium, with
 * a stand-in acquireVsCodeApi): it keeps only UI state with setState and puts it back on the report the
 * host sends again after the tab was hidden or restored.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { readReport } from '../../src/core/report/read';
import { reportView } from '../../src/core/report/view';
import type { HostToViewer } from '../../src/protocol/report';
import { repoRoot } from '../support/servers';
import { withWebviewPage } from '../support/webviewPage';

const message: HostToViewer = {
  type: 'report',
  fileName: 'benchmark-config-a.json',
  view: reportView(
    readReport(path.join(repoRoot, 'test', 'fixtures', 'reports', 'perfbench', 'same-host', 'benchmark-config-a.json')),
  ),
};
/** As unknown: Playwright's serializable type cannot follow the report's recursive JSON type. */
const post = (page: Page) => page.evaluate((m: unknown) => window.postMessage(m, '*'), message as unknown);
const settingsRows = 'vscode-collapsible.item[data-key="db.pg_settings"] tbody tr:not([hidden])';
const saved = (page: Page) => page.evaluate(() => (window as unknown as { savedState: unknown }).savedState);

describe('report viewer tab state (UI state kept, data sent again)', function () {
  this.timeout(60_000);

  it('saves the filter text with setState and nothing of the report', async () => {
    await withWebviewPage('report', async (page, errors) => {
      assert.deepEqual(await page.evaluate(() => (window as unknown as { sent: unknown[] }).sent), [{ type: 'ready' }]);
      await post(page);
      await page.locator('vscode-textfield.filter').waitFor();
      await page.locator('vscode-textfield.filter').evaluate((el) => {
        (el as HTMLElement & { value: string }).value = 'shared_buffers';
        el.dispatchEvent(new Event('input'));
      });
      assert.deepEqual(await saved(page), { filter: 'shared_buffers', scrollY: 0 });
      assert.deepEqual(errors, []);
    });
  });

  it('applies the saved filter to the report the host sends after a restore', async () => {
    await withWebviewPage(
      'report',
      async (page, errors) => {
        await post(page);
        await page.locator('vscode-textfield.filter').waitFor();
        assert.equal(
          await page.locator('vscode-textfield.filter').evaluate((el) => (el as HTMLElement & { value: string }).value),
          'shared_buffers',
        );
        const visible = await page.locator(settingsRows).allTextContents();
        assert.match(visible[0] ?? '', /^shared_buffers/, visible.join('\n'));
        // the filter ran: items without the text are hidden, as when the user types it
        assert.ok((await page.locator('vscode-collapsible.item[hidden]').count()) > 0);
        assert.deepEqual(errors, []);
      },
      { filter: 'shared_buffers', scrollY: 0 },
    );
  });

  it('ignores a saved state of another shape', async () => {
    await withWebviewPage(
      'report',
      async (page, errors) => {
        await post(page);
        await page.locator('vscode-textfield.filter').waitFor();
        assert.equal(await page.locator('vscode-collapsible.item[hidden]').count(), 0);
        assert.deepEqual(errors, []);
      },
      { filter: 42, scrollY: 'top' },
    );
  });
});

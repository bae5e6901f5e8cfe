/**
 * A webview bundle (dist/webview/<name>.js, built by `npm run build`) on a blank page in headless Chromium.
 * The VS Code webview API cannot exist here: a stand-in acquireVsCodeApi records what the page posts in
 * `window.sent` and keeps what it saves with setState in `window.savedState` (starting at `savedState`).
 * Console and page errors are collected for the test to assert on.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { repoRoot } from './servers';

export async function withWebviewPage(
  bundleName: string,
  fn: (page: Page, errors: string[]) => Promise<void>,
  savedState?: unknown,
): Promise<void> {
  const bundle = path.join(repoRoot, 'dist', 'webview', `${bundleName}.js`);
  assert.ok(fs.existsSync(bundle), `${bundle} is missing: run npm run build`);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(`<!DOCTYPE html><html><body><div id="app"></div>
<script>window.sent = []; window.savedState = ${JSON.stringify(savedState ?? null)};
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.sent.push(m),
  getState: () => window.savedState,
  setState: (s) => { window.savedState = JSON.parse(JSON.stringify(s)); },
});</script></body></html>`);
    await page.addScriptTag({ content: fs.readFileSync(bundle, 'utf8') });
    await fn(page, errors);
  } finally {
    await browser.close();
  }
}

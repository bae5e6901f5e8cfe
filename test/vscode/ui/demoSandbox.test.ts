/**
 * UI: the first thing a new user does. On a fresh profile (its own code-server, default settings, so
 * pgops.sandbox.seedDemo is on), Start Local Sandbox seeds the demo, and Query Stats, Bloat and
 * Replication each list real rows of it, and Benchmark Reports the sample report. The shared workbench
 * of the other UI tests keeps the demo off; this file opens its own and removes it, sandbox included.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { embeddedBinaries } from '../../../src/core/sandbox/binaries';
import { demoReportName, demoSlot } from '../../../src/core/sandbox/demo';
import { resetSandbox } from '../../../src/core/sandbox/sandbox';
import type { Profile, RunningCodeServer } from '../../support/codeServer';
import { installVsix } from '../../support/vsix';
import { freePort, globalStorageDir, prepareProfile, startCodeServer } from '../../support/codeServer';
import {
  activityBarItem,
  openPostgresOps,
  paletteRow,
  setPane,
  sideBar,
  treeRow,
  typeInPalette,
  viewPane,
  workbench,
  uiWaitMs,
} from '../../support/vscodeWorkbench';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const sandboxName = 'Local sandbox (PostgreSQL 18)';

describe('Start Local Sandbox on a fresh profile seeds the demo (UI)', function () {
  this.timeout(300_000);
  let dir: string;
  let profile: Profile;
  let server: RunningCodeServer | undefined;
  let page: Page;

  /** Screenshots of this workbench, in test-results/ like the shared one's. */
  async function shot(name: string, target?: Locator): Promise<void> {
    const file = path.join(workbench().screenshotsDir, `${name}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (target) await target.screenshot({ path: file });
    else await page.screenshot({ path: file });
  }

  /** Opens a collapsed view pane, then waits for a row reading `label`. */
  async function rowIn(view: string, label: string | RegExp): Promise<Locator> {
    const pane = viewPane(page, view);
    assert.ok(await setPane(page, view, true), `the ${view} pane opened`);
    const row = pane.locator('.monaco-list-row', { hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    return row;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-ui-demo-'));
    // as root the sandbox runs as `postgres`, which must reach the extension's binaries through this folder
    fs.chmodSync(dir, 0o711);
    profile = prepareProfile(dir, { 'pgops.sandbox.port': await freePort() });
    installVsix(workbench().install, profile, workbench().vsix);
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    server = await startCodeServer({
      install: workbench().install,
      profile,
      folder: workspace,
      logFile: path.join(dir, 'code-server.log'),
    });
    const browser = workbench().page.context().browser();
    if (!browser) throw new Error("the shared workbench's page has no browser to open a second page in");
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`, { timeout: uiWaitMs });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: uiWaitMs });
    // a fresh profile scans its extensions first: on a loaded machine the container shows up late
    await activityBarItem(page, 'Postgres Ops').waitFor({ state: 'visible', timeout: uiWaitMs });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page)
      await shot(`failed-demo-${(this.currentTest.title ?? '').replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(
        () => undefined,
      );
  });

  after(async () => {
    await page?.close().catch(() => undefined);
    await server?.stop();
    // the sandbox outlives its extension host; Reset stops it and removes the demo's report too
    if (profile)
      await resetSandbox({ storageDir: globalStorageDir(profile), binaries: embeddedBinaries(repoRoot), port: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists real rows of the demo in Query Stats, Bloat, Replication and Benchmark Reports', async () => {
    await openPostgresOps(page);
    await typeInPalette(page, 'Postgres Ops: Start Local Sandbox');
    await paletteRow(page, 'Postgres Ops: Start Local Sandbox').click();
    const connection = treeRow(viewPane(page, 'Connections'), sandboxName);
    // the first start seeds the demo (pgbench included) before the sandbox's connection appears
    await connection.filter({ hasText: /connected/ }).waitFor({ state: 'visible', timeout: 240_000 });

    const statement = await rowIn('Query Stats', /pgbench_/);
    assert.match(await statement.innerText(), /pgbench_(accounts|tellers|branches|history)/);
    const bloat = await rowIn('Bloat', 'pgops_demo.churned_orders');
    const bloatPct = /(\d+(?:\.\d+)?)\s*%/.exec(await bloat.innerText());
    assert.ok(bloatPct && Number(bloatPct[1]) >= 20, `the bloat row shows ≥ 20%: ${await bloat.innerText()}`);
    await rowIn('Replication', demoSlot);
    await rowIn('Benchmark Reports', demoReportName);
    await shot('demo-sandbox-views', sideBar(page));
    await shot('demo-sandbox-workbench');
  });

  it('names the sandbox in the status bar', async () => {
    const statusBar = page.locator('#workbench\\.parts\\.statusbar');
    const accessibleTexts = (): Promise<string[]> =>
      statusBar.locator('.statusbar-item').evaluateAll((items) =>
        items.map((el) =>
          [el, ...Array.from(el.querySelectorAll('[aria-label]'))]
            .map((e) => e.getAttribute('aria-label') ?? '')
            .concat((el as HTMLElement).innerText)
            .join(' | '),
        ),
      );
    const deadline = Date.now() + uiWaitMs;
    let texts = await accessibleTexts();
    while (!texts.some((t) => t.includes(sandboxName)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      texts = await accessibleTexts();
    }
    await shot('demo-sandbox-status-bar', statusBar);
    assert.ok(
      texts.some((t) => t.includes(sandboxName)),
      `no status bar item names the sandbox: none has "${sandboxName}" in its accessible text ` +
        `(the active-connection item of the front door). Status bar items: ${texts.join(' || ')}`,
    );
  });
});

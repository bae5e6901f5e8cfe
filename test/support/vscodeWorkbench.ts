/**
 * The workbench the UI tests (test/vscode/ui/*.test.ts) drive through Playwright: a Chromium page on
 * code-server, set up by the vscode tier (vscodeTier.ts) before those tests load, plus the
 * moves a user makes — open the Postgres Ops container, run a palette command, find a tree row.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { CodeServerInstall } from './codeServer';
import type { OAuthRig } from './oauth/rig';

/**
 * How long a UI test waits for something it expects (a view, a dialog, a file). A wait ends as soon as it is
 * met, so this costs nothing when things go well; it is long because a 2-core machine under load (load average
 * 25) took over 30 s to load the workbench. Retry loops use the shorter `uiRetryMs` per attempt.
 */
export const uiWaitMs = 120_000;
export const uiRetryMs = 30_000;

/** Polls `met` every 200 ms until it holds or `uiWaitMs` pass; returns whether it held (the caller asserts). */
export async function until(met: () => boolean | Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + uiWaitMs; ; await new Promise((r) => setTimeout(r, 200))) {
    if (await met()) return true;
    if (Date.now() > deadline) return false;
  }
}

export interface Workbench {
  page: Page;
  url: string;
  /** The folder opened in the workbench. */
  workspace: string;
  screenshotsDir: string;
  sandboxPort: number;
  /** code-server's user-data dir (its logs, the extension's Output channel log, user settings). */
  userDataDir: string;
  /** The OAuth rig (identity provider + OAuth-only PostgreSQL 18) the extension host trusts. */
  oauth: OAuthRig;
  /** The packaged extension the tier installed; a test that opens its own profile installs this too. */
  vsix: string;
  install: CodeServerInstall;
}

let current: Workbench | undefined;

export function setWorkbench(wb: Workbench | undefined): void {
  current = wb;
}

export function workbench(): Workbench {
  if (!current)
    throw new Error('No workbench: UI tests run only through the vscode tier (node scripts/test.mjs vscode)');
  return current;
}

/** Saves a PNG under test-results/ and returns its path. */
export async function screenshot(name: string, target?: Locator): Promise<string> {
  const wb = workbench();
  fs.mkdirSync(wb.screenshotsDir, { recursive: true });
  const file = path.join(wb.screenshotsDir, `${name}.png`);
  if (target) await target.screenshot({ path: file });
  else await wb.page.screenshot({ path: file });
  return file;
}

/**
 * The activity bar entry titled `title`: its `li.action-item`, which takes the click. While a view of the container
 * shows progress, a progress badge lies over the icon and takes the pointer; a click on the badge reaches the
 * entry as a user's does, where a click aimed at the icon link would wait for the badge to go.
 */
export function activityBarItem(page: Page, title: string): Locator {
  return page
    .locator(
      `.activitybar .action-item:has(a[aria-label^="${title}"]), .activitybar .action-item[aria-label^="${title}"]`,
    )
    .first();
}

export function sideBar(page: Page): Locator {
  return page.locator('#workbench\\.parts\\.sidebar');
}

/** The view pane in the side bar whose header reads `name`. */
export function viewPane(page: Page, name: string): Locator {
  return sideBar(page)
    .locator('.pane')
    .filter({ has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^${name}$`, 'i') }) });
}

/** Opens or closes a pane of the Postgres Ops container by its header; true once its header says so. */
export async function setPane(page: Page, name: string, open: boolean): Promise<boolean> {
  const header = viewPane(page, name).locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) === String(open)) return true;
  // on its title: the header's middle may hold the view's action buttons (Activity's Refresh, Pause, …)
  await header.locator('h3.title').click();
  return until(async () => (await header.getAttribute('aria-expanded')) === String(open));
}

/** The views of the Postgres Ops container, top to bottom, by the names their headers show. */
export const postgresOpsViews = [
  'Connections',
  'Activity',
  'Health',
  'Query Stats',
  'Replication',
  'Bloat',
  'HA Cluster',
  'Benchmark Reports',
];

/** The panes VS Code opens by default: every one but HA Cluster, which starts collapsed. */
const defaultOpenViews = postgresOpsViews.filter((v) => v !== 'HA Cluster');

/**
 * Leaves only the `open` panes of the Postgres Ops container open. A tree renders only the rows
 * inside its pane, and with all eight open a pane may show two rows: a test that looks for a row
 * makes room first, whatever panes the tests before it left open.
 */
export async function showOnlyPanes(page: Page, open: string[]): Promise<void> {
  for (const name of postgresOpsViews) {
    const wanted = open.includes(name);
    assert.ok(await setPane(page, name, wanted), `the ${name} pane ${wanted ? 'opened' : 'closed'}`);
  }
}

/** Puts the panes of the Postgres Ops container back as VS Code opens them (for `after` hooks; never throws). */
export async function showAllPanes(page: Page): Promise<void> {
  for (const name of postgresOpsViews)
    await setPane(page, name, defaultOpenViews.includes(name)).catch(() => undefined);
}

/** Opens the Postgres Ops container from the activity bar (unless it is already showing). */
export async function openPostgresOps(page: Page): Promise<void> {
  const title = sideBar(page).locator('.composite.title h2');
  if (
    (await title.count()) &&
    /postgres ops/i.test(
      await title
        .first()
        .innerText()
        .catch(() => ''),
    )
  )
    return;
  await activityBarItem(page, 'Postgres Ops').click();
  await sideBar(page)
    .locator('.composite.title', { hasText: /postgres ops/i })
    .waitFor({ state: 'visible', timeout: uiWaitMs });
}

/** Opens the command palette and types `text`; returns the palette widget (still open). */
export async function typeInPalette(page: Page, text: string): Promise<Locator> {
  const palette = page.locator('.quick-input-widget');
  const until = Date.now() + uiWaitMs;
  for (;;) {
    // a webview that kept the focus (a panel the test before opened) takes F1 into its own frame: hand the focus back
    await page.evaluate(() => {
      const active = document.activeElement;
      if (active instanceof HTMLIFrameElement) active.blur();
    });
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const shown = await palette.waitFor({ state: 'visible', timeout: 5000 }).then(
      () => true,
      () => false,
    );
    if (shown) break;
    if (Date.now() > until) throw new Error(`the command palette did not open for "${text}" within ${uiWaitMs} ms`);
  }
  await page.keyboard.type(text);
  return palette;
}

/** Pixels a canvas has drawn (not transparent), read inside its frame. */
export function paintedPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
    return n;
  });
}

/** A row of the palette's result list reading `label`. */
export function paletteRow(page: Page, label: string): Locator {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
}

/** Answers the quick input titled `title` with `answer`, typed over any suggested value (none: accept it). */
export async function answerInput(page: Page, title: string | RegExp, answer?: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: uiWaitMs });
  if (answer !== undefined) {
    await page.keyboard.press('Control+A');
    await page.keyboard.type(answer);
  }
  await page.keyboard.press('Enter');
}

/** A tree row inside a view pane, by its visible label. */
export function treeRow(pane: Locator, label: string): Locator {
  return pane.locator('.monaco-list-row', { hasText: label }).first();
}

/**
 * Opens a workspace file through Quick Open and waits for its tab. A file written a moment ago shows
 * up in Quick Open only once the file search has caught up, so this tries a few times.
 */
export async function quickOpen(page: Page, fileName: string, attempts = 10): Promise<void> {
  const tab = page.locator('.tab.active', { hasText: fileName });
  for (let attempt = 1; ; attempt++) {
    await typeInPalette(page, '');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(fileName);
    const row = paletteRow(page, fileName);
    // a new file shows only in a new search: typing again after a few seconds starts one
    const opened = await row
      .waitFor({ state: 'visible', timeout: 6000 })
      .then(() => row.click())
      .then(() => tab.waitFor({ state: 'visible', timeout: uiRetryMs }))
      .then(
        () => true,
        () => false,
      );
    if (opened) return;
    if (attempt === attempts) throw new Error(`Quick Open did not open ${fileName} in ${attempts} attempts`);
    await page.keyboard.press('Escape');
  }
}

/**
 * Runs `entry` from a tree row's context menu. Right-clicking selects the row without opening it (a
 * left click would run the row's command). The entry is chosen the way a keyboard user does —
 * hover to focus it, then Enter — because a mouse click that lands just after the menu opened is
 * sometimes taken by the menu as the end of the right-click and ignored. A menu still open after
 * that is closed and opened again.
 */
export async function contextMenuEntry(page: Page, row: Locator, entry: string, attempts = 3): Promise<void> {
  const menu = page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item', { hasText: entry }).first();
  const focused = menu.locator('.action-item.focused', { hasText: entry }).first();
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const chosen = await row
      .click({ button: 'right' })
      .then(() => item.hover({ timeout: uiRetryMs }))
      .then(() => focused.waitFor({ state: 'visible', timeout: uiRetryMs }))
      .then(() => page.keyboard.press('Enter'))
      .then(() => menu.waitFor({ state: 'detached', timeout: uiRetryMs }))
      .then(
        (): true => true,
        (err: Error) => err,
      );
    if (chosen === true) return;
    last = chosen.message;
    console.log(`      (context menu entry "${entry}", attempt ${attempt}: ${last.split('\n')[0]})`);
    await page.keyboard.press('Escape');
  }
  throw new Error(`context menu entry "${entry}" not chosen in ${attempts} attempts: ${last}`);
}

/** Clicks a row's inline action (the icons shown on hover), by its title. */
export async function inlineAction(row: Locator, title: string): Promise<void> {
  await row.hover();
  await row.locator(`.actions .action-label[aria-label^="${title}"]`).first().click({ timeout: uiWaitMs });
}

/** The log files under a user-data dir's logs/ whose name matches (VS Code writes one folder per session and host). */
export function logFiles(userDataDir: string, name: RegExp): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (name.test(e.name)) found.push(path.join(dir, e.name));
    }
  };
  walk(path.join(userDataDir, 'logs'));
  return found;
}

/** The extension's Output channel as VS Code writes it to disk (the LogOutputChannel "Postgres Ops"). */
export function outputChannelLog(): { file: string; text: string } {
  const found = logFiles(workbench().userDataDir, /^Postgres Ops\.log$/);
  if (found.length !== 1)
    throw new Error(`expected one "Postgres Ops.log" under ${workbench().userDataDir}/logs, found ${found.length}`);
  return { file: found[0], text: fs.readFileSync(found[0], 'utf8') };
}

/** For afterEach: a screenshot of the whole workbench when the test just failed. */
export async function screenshotOnFailure(test: Mocha.Test | undefined): Promise<void> {
  if (test?.state !== 'failed' || !current) return;
  await screenshot(
    `failed-${test
      .fullTitle()
      .replace(/[^a-z0-9]+/gi, '-')
      .slice(0, 80)}`,
  ).catch(() => undefined);
}

/** The workspace's settings.json, where the UI tests put connection profiles. */
export function workspaceSettingsFile(): string {
  return path.join(workbench().workspace, '.vscode', 'settings.json');
}

/**
 * Edits the workspace settings with `edit` (none: only remembers them; VS Code applies a change at once) and
 * returns the function that puts the file back as it was, so later tests see the views they expect.
 */
function editWorkspaceSettings(edit?: (settings: Record<string, unknown>) => void): () => void {
  const file = workspaceSettingsFile();
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (edit) {
    const settings = previous ? (JSON.parse(previous) as Record<string, unknown>) : {};
    edit(settings);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(settings, null, 2));
  }
  return () => {
    if (previous === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, previous);
  };
}

/** Sets one workspace setting; returns the function that puts the settings back. */
export function setWorkspaceSetting(key: string, value: unknown): () => void {
  return editWorkspaceSettings((settings) => {
    settings[key] = value;
  });
}

/** Adds connection profiles to the workspace settings; returns the function that puts the settings back. */
export function addWorkspaceProfiles(profiles: object[]): () => void {
  if (!profiles.length) return editWorkspaceSettings();
  return editWorkspaceSettings((settings) => {
    settings['pgops.connections'] = [...((settings['pgops.connections'] as object[] | undefined) ?? []), ...profiles];
  });
}

/**
 * A workspace profile `name` for the rig's PostgreSQL 18 as its superuser (SCRAM over TCP, the password read
 * from a passfile of the profile's own), plus `settings` for the workspace; returns the function that removes them.
 */
export function addRigSuperuserProfile(name: string, settings: Record<string, unknown> = {}): () => void {
  const { server } = workbench().oauth;
  const passfile = path.join(workbench().workspace, `${name}.pgpass`);
  fs.writeFileSync(passfile, `127.0.0.1:${server.port}:*:postgres:${server.password}\n`, { mode: 0o600 });
  const restore = addWorkspaceProfiles([
    {
      name,
      conninfo: `host=127.0.0.1 port=${server.port} user=postgres dbname=postgres sslmode=disable passfile=${passfile}`,
    },
  ]);
  const file = workspaceSettingsFile();
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...settings }, null, 2));
  return () => {
    restore();
    fs.rmSync(passfile, { force: true });
  };
}

/** Connects profile `name` from its Connections row and waits until the row reads connected to PostgreSQL 18. */
export async function connectProfile(page: Page, name: string): Promise<void> {
  await openPostgresOps(page);
  const row = treeRow(viewPane(page, 'Connections'), name);
  await row.waitFor({ state: 'visible', timeout: uiWaitMs });
  await inlineAction(row, 'Connect');
  await row.filter({ hasText: /connected · PostgreSQL 18/ }).waitFor({ state: 'visible', timeout: uiWaitMs });
}

/** For after(): disconnects profile `name` if its row reads connected; a failure is ignored (the test already told). */
export async function disconnectProfile(page: Page, name: string): Promise<void> {
  const row = treeRow(viewPane(page, 'Connections'), name);
  if (await row.filter({ hasText: /(?<!dis)connected/ }).count())
    await inlineAction(row, 'Disconnect').catch(() => undefined);
}

/**
 * UI: signing in to PostgreSQL 18 with OAuth from the Connections view, the way a person does it.
 * The rig is real (test/support/oauth): oidc-provider over HTTPS and a PostgreSQL 18 whose validator
 * introspects every token with that provider. Connect shows the device code in a notification;
 * "Copy code and open" opens the provider's page in the browser, where the person confirms, signs in
 * and consents; the session that results belongs to that person's role. A confidential client gets
 * its secret through Edit Connection, into Secret Storage. A hostile provider's page that is not https
 * is never opened and its text stays inert. No token or client secret reaches settings or the Output channel.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page, Request } from 'playwright-core';
import { approveDeviceCode } from '../../support/oauth/approve';
import type { HostileProvider } from '../../support/oauth/hostileProvider';
import { hostile, startHostileProvider } from '../../support/oauth/hostileProvider';
import { clients } from '../../support/oauth/idp';
import type { RecordingServer } from '../../support/oauth/recordingServer';
import { startRecordingServer } from '../../support/oauth/recordingServer';
import { oauthScope } from '../../support/oauth/rig';
import {
  addWorkspaceProfiles,
  contextMenuEntry,
  inlineAction,
  openPostgresOps,
  outputChannelLog,
  screenshot,
  screenshotOnFailure,
  sideBar,
  treeRow,
  viewPane,
  workbench,
  workspaceSettingsFile,
  uiWaitMs,
  until,
} from '../../support/vscodeWorkbench';

const alice = 'ui-oauth-alice';
const bob = 'ui-oauth-bob';
const mallory = 'ui-oauth-hostile';
/** Control characters other than tab and newline (which innerText uses for layout). */
const controlChars = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

function conninfo(user: string, clientId: string): string {
  const { oauth } = workbench();
  // sslmode left at libpq's default (prefer): TLS first, which the rig's server has, so the token goes over TLS.
  return (
    `host=127.0.0.1 port=${oauth.server.port} dbname=postgres user=${user} ` +
    `oauth_issuer=${oauth.idp.issuer} oauth_client_id=${clientId} oauth_scope='${oauthScope}'`
  );
}

/** The device-code notification of a profile: its text, the code and the page named in it. */
async function deviceNotification(
  page: Page,
  profile: string,
): Promise<{ toast: Locator; userCode: string; verificationUri: string }> {
  const toast = page.locator('.notification-toast', { hasText: `${profile}: sign in to PostgreSQL` }).first();
  await toast.waitFor({ state: 'visible', timeout: uiWaitMs });
  const text = await toast.innerText();
  const m = /Visit (\S+) and enter the code: (\S+)/.exec(text);
  assert.ok(m, `the notification names the page and the code: ${text}`);
  return { toast, verificationUri: m[1], userCode: m[2] };
}

/** The person in the browser tab the button opened: confirm the code, sign in as `account`, consent. */
async function approveInBrowser(popup: Page, account: string): Promise<string> {
  for (let step = 0; step < 8; step++) {
    await popup.waitForLoadState('domcontentloaded');
    const title = await popup.title();
    if (title === 'Sign-in Success') return title;
    if (await popup.locator('input[name="login"]').count()) {
      await popup.locator('input[name="login"]').fill(account);
      await popup.locator('input[name="password"]').fill('any password');
    }
    await Promise.all([
      popup.waitForNavigation({ timeout: uiWaitMs }),
      popup.locator('button[type="submit"]:not([name="abort"])').first().click(),
    ]);
  }
  throw new Error(`the provider's pages did not end in "Sign-in Success" (last: ${await popup.title()})`);
}

async function waitConnected(page: Page, profile: string): Promise<Locator> {
  const row = treeRow(viewPane(page, 'Connections'), profile);
  await row.filter({ hasText: /connected · PostgreSQL 18/ }).waitFor({ state: 'visible', timeout: uiWaitMs });
  return row;
}

/** Roles of the pgops sessions the server sees (pg_stat_activity), from the rig's superuser. */
async function pgopsSessionRoles(): Promise<string[]> {
  const admin = await workbench().oauth.server.admin();
  try {
    const r = await admin.query<{ usename: string }>(
      "SELECT usename FROM pg_stat_activity WHERE application_name LIKE 'pgops%' AND backend_type = 'client backend' ORDER BY 1",
    );
    return r.rows.map((x) => x.usename);
  } finally {
    await admin.end();
  }
}

describe('OAuth sign-in from the Connections view (UI, PostgreSQL 18)', () => {
  let restoreSettings = (): void => undefined;
  let hostileIdp: HostileProvider | undefined;
  let hostileServer: RecordingServer | undefined;

  before(async () => {
    // A hostile provider on the rig provider's address with its certificate (so the extension host trusts it),
    // named by a server that asks for OAuth over TLS: what a stranger's connection string could point at.
    const { oauth } = workbench();
    const tls = { key: oauth.idp.keyPem, cert: oauth.idp.caPem };
    hostileIdp = await startHostileProvider({ host: new URL(oauth.idp.issuer).hostname, tls });
    hostileServer = await startRecordingServer({
      discoveryUri: `${hostileIdp.issuer}/.well-known/openid-configuration`,
      tls,
    });
    const hostileConninfo =
      `host=127.0.0.1 port=${hostileServer.port} sslmode=require dbname=postgres user=alice ` +
      `oauth_issuer=${hostileIdp.issuer} oauth_client_id=pg-client`;
    restoreSettings = addWorkspaceProfiles([
      { name: alice, conninfo: conninfo('alice', clients.normal) },
      { name: bob, conninfo: conninfo('bob', clients.confidential) },
      { name: mallory, conninfo: hostileConninfo },
    ]);
    const { page } = workbench();
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(workbench().url).origin });
  });

  afterEach(async function () {
    await screenshotOnFailure(this.currentTest);
  });

  after(async () => {
    const { page } = workbench();
    for (const name of [alice, bob]) {
      const row = treeRow(viewPane(page, 'Connections'), name);
      if (await row.filter({ hasText: /connected ·/ }).count())
        await inlineAction(row, 'Disconnect').catch(() => undefined);
    }
    restoreSettings();
    await treeRow(viewPane(page, 'Connections'), alice).waitFor({ state: 'detached', timeout: uiWaitMs });
    await hostileServer?.close();
    await hostileIdp?.stop();
  });

  it('Connect shows the code; "Copy code and open" copies it and opens the provider, where the person signs in; the session is theirs', async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    const row = treeRow(viewPane(page, 'Connections'), alice);
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    await inlineAction(row, 'Connect');

    const { toast, userCode, verificationUri } = await deviceNotification(page, alice);
    assert.equal(new URL(verificationUri).origin, workbench().oauth.idp.issuer, "the page is the provider's");
    await page
      .locator('.notification-toast', { hasText: `${alice}: waiting for OAuth sign-in` })
      .first()
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('oauth-device-code');

    // The provider's page at verification_uri_complete posts itself on to /device at once (an auto-submitted form
    // carrying the code), so the address the browser was sent to is read from its first navigation request, not
    // from the window, which may already show the next page.
    const issuer = workbench().oauth.idp.issuer;
    const navigations: string[] = [];
    const onRequest = (r: Request): void => {
      if (r.isNavigationRequest() && r.url().startsWith(issuer)) navigations.push(r.url());
    };
    page.context().on('request', onRequest);
    let popup: Page | undefined;
    const popupOpened = page
      .context()
      .waitForEvent('page', { timeout: uiWaitMs })
      .then((p) => (popup = p));
    await toast.locator('.monaco-button', { hasText: 'Copy code and open' }).click();
    // VS Code asks before opening a site that is not a trusted domain: answer it if it comes, until the page opens.
    const openDialog = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
    await until(async () => {
      if (await openDialog.isVisible()) await openDialog.click().catch(() => undefined);
      return popup !== undefined;
    });
    popup = await popupOpened;
    await popup.waitForLoadState('domcontentloaded');
    assert.ok(await until(() => navigations.length > 0), "the browser went to the provider's page");
    page.context().off('request', onRequest);
    const opened = new URL(navigations[0]);
    assert.equal(opened.origin, issuer);
    assert.equal(
      opened.searchParams.get('user_code'),
      userCode,
      `verification_uri_complete carries the code (the browser went to ${navigations.join(', ')})`,
    );
    assert.equal(await clipboardOnceSettled(page, userCode), userCode, 'the code is on the clipboard');

    assert.equal(await approveInBrowser(popup, 'alice'), 'Sign-in Success');
    await popup.close();

    const connected = await waitConnected(page, alice);
    await connected.click();
    const details = viewPane(page, 'Connections');
    await treeRow(details, 'oauth').waitFor({ state: 'visible', timeout: uiWaitMs });
    await screenshot('oauth-connected', sideBar(page));
    assert.ok((await pgopsSessionRoles()).includes('alice'), 'the server sees a pgops session of role alice');
    await connected.click(); // collapsed again, so the next profile's row is in view
  });

  it('a confidential client is refused without its secret, and signs in once Edit Connection stores the secret', async () => {
    const { page, oauth } = workbench();
    await openPostgresOps(page);
    const row = treeRow(viewPane(page, 'Connections'), bob);
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });

    await inlineAction(row, 'Connect');
    const refused = page
      .locator('.notification-toast', { hasText: /device authorization endpoint .* refused the request/ })
      .first();
    await refused.waitFor({ state: 'visible', timeout: uiWaitMs });
    assert.match(
      await refused.innerText(),
      /client authentication failed \(invalid_client\) — Check oauth_client_id \(and oauth_client_secret/,
      'the error says what to check',
    );

    await contextMenuEntry(page, row, 'Edit Connection');
    const quick = page.locator('.quick-input-widget');
    await quick.locator('.quick-input-list .monaco-list-row', { hasText: 'Set OAuth client secret' }).first().click();
    await quick
      .locator('.quick-input-title', { hasText: `OAuth client secret for "${bob}"` })
      .waitFor({ state: 'visible', timeout: uiWaitMs });
    await page.keyboard.type(oauth.idp.confidentialSecret);
    await page.keyboard.press('Enter');
    await quick.waitFor({ state: 'hidden', timeout: uiWaitMs });

    await inlineAction(row, 'Connect');
    const { userCode, verificationUri } = await deviceNotification(page, bob);
    // This time the person approves on another device (a phone): over HTTP, through the same pages.
    const approval = await approveDeviceCode({ verificationUri, userCode, account: 'bob', ca: oauth.idp.caPem });
    assert.equal(approval.finalTitle, 'Sign-in Success');
    await waitConnected(page, bob);
    assert.ok((await pgopsSessionRoles()).includes('bob'), 'the server sees a pgops session of role bob');
  });

  it("never opens a provider page that is not https: the notification says why and offers only the copy; the provider's text stays inert", async () => {
    const { page } = workbench();
    await openPostgresOps(page);
    const row = treeRow(viewPane(page, 'Connections'), mallory);
    await row.waitFor({ state: 'visible', timeout: uiWaitMs });
    const pagesBefore = page.context().pages().length;
    await inlineAction(row, 'Connect');

    const toast = page.locator('.notification-toast', { hasText: `${mallory}: sign in to PostgreSQL` }).first();
    await toast.waitFor({ state: 'visible', timeout: uiWaitMs });
    const text = await toast.innerText();
    assert.match(text, /The provider's page .* is not an https:\/\/ URL, so pgops does not open it/, text);
    assert.ok(
      text.includes('enter the code: WDJB\\x1b[2J\\x1b]0;owned\\x07-MQHT'),
      `the code is shown with its escapes visible: ${JSON.stringify(text)}`,
    );
    assert.doesNotMatch(text, controlChars);
    assert.equal(
      await toast.locator('.monaco-button', { hasText: 'Copy code and open' }).count(),
      0,
      'no button opens the page',
    );
    await screenshot('oauth-hostile-provider');
    await toast.locator('.monaco-button', { hasText: /^Copy code$/ }).click();
    assert.equal(
      await clipboardOnceSettled(page, hostile.userCode),
      hostile.userCode,
      'the code is copied as the provider sent it',
    );

    const denied = page.locator('.notification-toast', { hasText: /was denied/ }).first();
    await denied.waitFor({ state: 'visible', timeout: uiWaitMs });
    const deniedText = await denied.innerText();
    assert.match(deniedText, /\(access_denied\)/);
    assert.doesNotMatch(deniedText, controlChars);
    // VS Code renders [text](link) in a notification's message as an anchor; the provider's must stay text.
    assert.equal(
      await denied.locator('.notification-list-item-message a').count(),
      0,
      "the provider's [text](command:…) made no link",
    );
    assert.equal(page.context().pages().length, pagesBefore, 'no page was opened');
    assert.ok(!hostileServer?.sawToken(), 'no token went to the hostile server');
  });

  it('keeps every issued token, the client secret and the server password out of settings and the Output channel', () => {
    const { oauth, userDataDir } = workbench();
    // The server password is the one the Edit Connection UI test types (the Output channel spans the whole run).
    const secrets = [...oauth.idp.issuedTokens, oauth.idp.confidentialSecret, oauth.server.password];
    assert.ok(
      oauth.idp.issuedTokens.length >= 2,
      `the provider issued tokens to both sign-ins (${oauth.idp.issuedTokens.length})`,
    );
    const log = outputChannelLog();
    assert.match(
      log.text,
      /OAuth: starting the device authorization flow/,
      `${log.file} is the extension's Output channel`,
    );
    const places = {
      [log.file]: log.text,
      [workspaceSettingsFile()]: fs.readFileSync(workspaceSettingsFile(), 'utf8'),
    };
    const userSettings = path.join(userDataDir, 'User', 'settings.json');
    if (fs.existsSync(userSettings)) places[userSettings] = fs.readFileSync(userSettings, 'utf8');
    for (const [file, text] of Object.entries(places)) {
      const leaked = secrets.filter((s) => text.includes(s)).length;
      assert.equal(leaked, 0, `${leaked} secret(s) found in ${file}`);
    }
  });
});

/**
 * The browser's clipboard once the extension host's write has arrived: `env.clipboard.writeText` travels from the
 * host through code-server to the page after the click returns, so the page is read until it holds `expected` or
 * `uiWaitMs` pass; the caller asserts on what it finally holds.
 */
async function clipboardOnceSettled(page: Page, expected: string): Promise<string> {
  let text = '';
  await until(async () => {
    text = await page.evaluate(() => navigator.clipboard.readText());
    return text === expected;
  });
  return text;
}

/**
 * The vscode tier of `npm test`: a real VS Code (code-server) in headless Chromium, running the extension
 * users get: the tier packages the `.vsix` (`npm run package`, into its temporary folder) and installs it
 * with `code-server --install-extension`; only the test code comes from out/. First the in-host
 * mocha suite (test/vscode/**\/*.test.ts) runs inside the extension host and writes its results to a
 * file; then the UI tests (test/vscode/ui/*.test.ts) drive the same workbench through Playwright.
 * Then, in a second code-server with Workspace Trust on, the Restricted Mode suite (test/vscode/untrusted/)
 * runs in the host of an untrusted folder whose settings name programs (hostileWorkspace.ts); a GREP runs
 * that phase only when it matches the phase's name, "Restricted Mode".
 * Writes `{"passed","failed","skipped"}` to the result file for scripts/test.mjs. Anything that keeps
 * the workbench from running is a failure with its reason, never a skip.
 *
 * Usage: node out/test/support/vscodeTier.js RESULT_FILE [GREP]
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Mocha from 'mocha';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { embeddedBinaries } from '../../src/core/sandbox/binaries';
import { resetSandbox } from '../../src/core/sandbox/sandbox';
import type { HostResults, HostSuite, TestOutcome } from '../vscode/index';
import type { CodeServerInstall, Profile, RunningCodeServer } from './codeServer';
import { ensureCodeServer, freePort, globalStorageDir, prepareProfile, startCodeServer } from './codeServer';
import { writeHostileWorkspace } from './hostileWorkspace';
import type { OAuthRig } from './oauth/rig';
import { startOAuthRig } from './oauth/rig';
import { installedExtensionDir, installVsix, packageVsix } from './vsix';
import { logFiles, setWorkbench, uiWaitMs } from './vscodeWorkbench';

const outRoot = path.resolve(__dirname, '..', '..');
const repoRoot = path.resolve(outRoot, '..');
const chromiumPath = process.env.PGOPS_CHROMIUM ?? '/usr/bin/chromium';
const hostStartTimeoutMs = 300_000;
/** Longer than mocha's per-test timeout in the host (600 s), so a slow test fails there first, with its name. */
const hostStallTimeoutMs = 660_000;

type Counts = { passed: number; failed: number; skipped: number };
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The phase that opens an untrusted folder; a GREP must match this to run it. */
const restrictedPhase = 'Restricted Mode';

const hostRunner = { publisher: 'pgops-tests', name: 'host-runner', version: '0.0.0' };

/**
 * A tiny extension that starts the in-host suite once the workbench has started: the suite needs no
 * hook in the extension itself, and it lives in the same host as the extension under test. It runs in
 * Restricted Mode too (it reads nothing from the workspace).
 */
function writeHostRunner(
  extensionsDir: string,
  resultFile: string,
  grep: string | undefined,
  suite: HostSuite = 'main',
): void {
  const dir = path.join(extensionsDir, `${hostRunner.publisher}.${hostRunner.name}-${hostRunner.version}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      ...hostRunner,
      engines: { vscode: '^1.90.0' },
      main: './main.js',
      activationEvents: ['onStartupFinished'],
      capabilities: { untrustedWorkspaces: { supported: true } },
    }),
  );
  const suiteEntry = path.join(outRoot, 'test', 'vscode', 'index.js');
  fs.writeFileSync(
    path.join(dir, 'main.js'),
    `exports.activate = () => {\n  require('fs').writeFileSync(${JSON.stringify(`${resultFile}.started`)}, String(process.pid));\n` +
      `  void require(${JSON.stringify(suiteEntry)}).runInHost(${JSON.stringify(resultFile)}, ${JSON.stringify(grep)}, ${JSON.stringify(suite)});\n};\n`,
  );
}

/** The tail of the extension host's own log (activation errors end up there), or of another log by name. */
function extensionHostLog(userDataDir: string, name = /^(exthost|remoteexthost)\.log$/): string {
  const found = logFiles(userDataDir, name);
  return (
    found.map((f) => `${f}:\n${fs.readFileSync(f, 'utf8').split('\n').slice(-30).join('\n')}`).join('\n') ||
    '(no extension host log found)'
  );
}

/**
 * Waits for the in-host suite, printing each test as the suite reports it. Fails when the host never
 * starts the suite, when code-server dies, or when no test finishes for longer than mocha's own
 * per-test timeout (a hung host).
 */
async function waitForHostResults(file: string, server: RunningCodeServer, profile: Profile): Promise<HostResults> {
  const fail = (why: string): never => {
    throw new Error(
      `${why}\n--- code-server output:\n${server.recentOutput()}\n--- extension host log:\n${extensionHostLog(profile.userDataDir)}`,
    );
  };
  const progressFile = `${file}.progress`;
  let printed = 0;
  let lastProgress = Date.now();
  const printProgress = (): void => {
    const lines = fs.existsSync(progressFile) ? fs.readFileSync(progressFile, 'utf8').split('\n').filter(Boolean) : [];
    for (const line of lines.slice(printed)) printOutcome(JSON.parse(line) as TestOutcome);
    if (lines.length > printed) lastProgress = Date.now();
    printed = Math.max(printed, lines.length);
  };
  log('  in-host suite (extension host):');
  while (!fs.existsSync(file)) {
    printProgress();
    if (server.exited()) fail('code-server exited before the in-host suite reported');
    if (!fs.existsSync(`${file}.started`) && Date.now() - lastProgress > hostStartTimeoutMs)
      fail(`the extension host did not start the in-host suite within ${hostStartTimeoutMs / 1000} s`);
    if (Date.now() - lastProgress > hostStallTimeoutMs)
      fail(`the in-host suite reported nothing for ${hostStallTimeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  printProgress();
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as HostResults;
  if (results.crash) log(`    ✘ the suite could not run:\n${indent(results.crash)}`);
  if (results.failed > 0)
    log(
      `  the extension's own log (Postgres Ops output channel):\n${indent(extensionHostLog(profile.userDataDir, /^Postgres Ops\.log$/))}`,
    );
  return results;
}

function printOutcome(t: TestOutcome): void {
  log(
    `    ${t.state === 'passed' ? '✔' : t.state === 'failed' ? '✘' : '-'} ${t.title}${t.durationMs ? ` (${t.durationMs} ms)` : ''}`,
  );
  if (t.error) log(indent(t.error));
}

/** The rig's PostgreSQL 18 (SCRAM for its superuser over TCP) for in-host tests that need a real password check. */
function rigServerEnv(rig: OAuthRig): NodeJS.ProcessEnv {
  return { PGOPS_TEST_PG18_PORT: String(rig.server.port), PGOPS_TEST_PG18_PASSWORD: rig.server.password };
}

/**
 * Installs the packaged extension into the profile, after the host runner: VS Code adopts the folders it finds
 * when it writes a fresh extensions.json and from then on marks any folder not listed there as removed.
 * In-host tests compare what runs with the two paths returned.
 */
function installForHost(install: CodeServerInstall, profile: Profile, vsix: string): NodeJS.ProcessEnv {
  const t0 = Date.now();
  const dir = installVsix(install, profile, vsix);
  if (!installedExtensionDir(profile.extensionsDir, `${hostRunner.publisher}.${hostRunner.name}`))
    throw new Error(`installing ${vsix} left the host runner out of ${profile.extensionsDir}/extensions.json`);
  log(`  installed ${path.basename(vsix)} into ${dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { PGOPS_TEST_VSIX: vsix, PGOPS_TEST_EXTENSIONS_DIR: profile.extensionsDir };
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n');

/** base64(sha256(SubjectPublicKeyInfo)), the form Chromium's --ignore-certificate-errors-spki-list takes. */
function spkiHash(pem: string): string {
  const spki = new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

async function runUiSuite(grep: string | undefined): Promise<Counts> {
  const dir = path.join(outRoot, 'test', 'vscode', 'ui');
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.test.js'))
        .map((f) => path.join(dir, f))
        .sort()
    : [];
  if (files.length === 0) throw new Error(`no UI test files under ${dir}`);
  log('  UI tests (Playwright → Chromium → code-server):');
  const mocha = new Mocha({ reporter: 'spec', timeout: 600_000, color: !!process.stdout.isTTY, grep, bail: false });
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const runner = mocha.run();
  await new Promise<void>((resolve) => runner.on('end', () => resolve()));
  const s = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
  return { passed: s.passes, failed: s.failures, skipped: s.pending };
}

/**
 * Restricted Mode: a second code-server with Workspace Trust on opens a fresh folder, untrusted, whose settings
 * name programs (hostileWorkspace.ts); the in-host suite of test/vscode/untrusted/ runs in its extension host.
 * The server and profile join `servers`/`profiles` so the tier's cleanup stops and clears them.
 */
async function runRestrictedPhase(o: {
  install: CodeServerInstall;
  vsix: string;
  browser: Browser;
  rig: OAuthRig;
  dir: string;
  grep?: string;
  servers: RunningCodeServer[];
  profiles: Profile[];
}): Promise<Counts> {
  log(`  ${restrictedPhase} (a second code-server, Workspace Trust on, the folder untrusted):`);
  const profile = prepareProfile(o.dir, {
    'pgops.sandbox.port': await freePort(),
    'security.workspace.trust.enabled': true,
    'security.workspace.trust.startupPrompt': 'never',
  });
  o.profiles.push(profile);
  const resultFile = path.join(o.dir, 'host-results.json');
  writeHostRunner(profile.extensionsDir, resultFile, o.grep, 'untrusted');
  const installed = installForHost(o.install, profile, o.vsix);
  const workspace = path.join(o.dir, 'workspace');
  writeHostileWorkspace(workspace, o.rig.server.port);
  const server = await startCodeServer({
    install: o.install,
    profile,
    folder: workspace,
    logFile: path.join(o.dir, 'code-server.log'),
    workspaceTrust: true,
    env: { ...rigServerEnv(o.rig), ...installed },
  });
  o.servers.push(server);
  const page = await o.browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    page.setDefaultTimeout(uiWaitMs);
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`, { timeout: uiWaitMs });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: uiWaitMs });
    const host = await waitForHostResults(resultFile, server, profile);
    return { passed: host.passed, failed: host.failed, skipped: host.skipped };
  } finally {
    await page.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const [resultFile, grep] = process.argv.slice(2);
  if (!resultFile) throw new Error('usage: vscodeTier.js RESULT_FILE [GREP]');
  const t0 = Date.now();
  const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-vscode-'));
  // When we run as root the sandbox server runs as `postgres`, which must traverse the extension's path to its binaries.
  fs.chmodSync(runDir, 0o711);
  const servers: RunningCodeServer[] = [];
  const profiles: Profile[] = [];
  let browser: Browser | undefined;
  let rig: OAuthRig | undefined;
  let cleaned: Promise<void> | undefined;
  let interrupted = false;

  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      for (const server of servers) await server.stop();
      await browser?.close().catch(() => undefined);
      await rig?.stop().catch((err: unknown) => log(`  ! could not stop the OAuth rig: ${String(err)}`));
      // The extension's sandbox server outlives a killed extension host; stop it and delete its data.
      for (const profile of profiles) {
        await resetSandbox({
          storageDir: globalStorageDir(profile),
          binaries: embeddedBinaries(repoRoot),
          port: 0,
        }).catch((err: unknown) => log(`  ! could not remove the test sandbox: ${String(err)}`));
      }
      if (process.env.PGOPS_KEEP_VSCODE_RUN) log(`  kept ${runDir} (PGOPS_KEEP_VSCODE_RUN)`);
      else fs.rmSync(runDir, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupted = true;
      log(`\n  ${sig}: stopping code-server and the sandbox…`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    if (!fs.existsSync(chromiumPath))
      throw new Error(`Chromium not found at ${chromiumPath}: apt-get install chromium (or set PGOPS_CHROMIUM)`);
    const install = ensureCodeServer(log);
    const packagedAt = Date.now();
    const vsix = packageVsix(repoRoot, path.join(runDir, 'vsix', 'pgops-linux-x64.vsix'));
    log(`  packaged ${vsix} (npm run package) in ${((Date.now() - packagedAt) / 1000).toFixed(1)} s`);
    const sandboxPort = await freePort();
    // The shared workbench's tests expect a sandbox without the demo; demoSandbox.test.ts opens a fresh profile for it.
    const profile = prepareProfile(runDir, { 'pgops.sandbox.port': sandboxPort, 'pgops.sandbox.seedDemo': false });
    profiles.push(profile);
    const hostResultFile = path.join(runDir, 'host-results.json');
    writeHostRunner(profile.extensionsDir, hostResultFile, grep);
    const installed = installForHost(install, profile, vsix);
    const workspace = path.join(runDir, 'workspace');
    fs.mkdirSync(workspace);

    // A real identity provider and an OAuth-only PostgreSQL 18 for the sign-in tests; the extension host
    // trusts the provider's self-signed certificate through NODE_EXTRA_CA_CERTS, as a user with a private CA would.
    // The provider listens on 127.0.0.2: VS Code (as code-server, a remote) would otherwise port-forward a
    // localhost / 127.0.0.1 page that openExternal opens through its own proxy, over plain HTTP.
    rig = await startOAuthRig({ idpHost: '127.0.0.2' });
    const idpCaFile = path.join(runDir, 'idp-ca.pem');
    fs.writeFileSync(idpCaFile, rig.idp.caPem);
    const server = await startCodeServer({
      install,
      profile,
      folder: workspace,
      logFile: path.join(runDir, 'code-server.log'),
      env: {
        PGOPS_TEST_SANDBOX_PORT: String(sandboxPort),
        NODE_EXTRA_CA_CERTS: idpCaFile,
        ...rigServerEnv(rig),
        ...installed,
      },
    });
    servers.push(server);
    log(`  code-server ${server.url} (pid ${server.pid}) ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    browser = await chromium.launch({
      // Our own signal handlers stop code-server and the sandbox first, then close the browser.
      executablePath: chromiumPath,
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // The browser trusts exactly the test provider's certificate (its public key), nothing else.
        `--ignore-certificate-errors-spki-list=${spkiHash(rig.idp.caPem)}`,
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(uiWaitMs);
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`, { timeout: uiWaitMs });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: uiWaitMs });

    const host = await waitForHostResults(hostResultFile, server, profile);
    totals.passed += host.passed;
    totals.failed += host.failed;
    totals.skipped += host.skipped;

    setWorkbench({
      page,
      url: server.url,
      workspace,
      screenshotsDir: path.join(repoRoot, 'test-results'),
      sandboxPort,
      userDataDir: profile.userDataDir,
      oauth: rig,
      vsix,
      install,
    });
    const ui = await runUiSuite(grep);
    totals.passed += ui.passed;
    totals.failed += ui.failed;
    totals.skipped += ui.skipped;

    if (!grep || new RegExp(grep).test(restrictedPhase)) {
      const restricted = await runRestrictedPhase({
        install,
        vsix,
        browser,
        rig,
        dir: path.join(runDir, 'restricted'),
        grep,
        servers,
        profiles,
      });
      totals.passed += restricted.passed;
      totals.failed += restricted.failed;
      totals.skipped += restricted.skipped;
    }
  } catch (err) {
    if (!interrupted) log(`  ✘ vscode tier could not run: ${err instanceof Error ? err.message : String(err)}`);
    totals.failed += 1;
  } finally {
    await cleanup();
    fs.writeFileSync(resultFile, JSON.stringify({ tier: 'vscode', ...totals }));
    log(
      `  vscode tier: ${totals.passed} passed, ${totals.failed} failed in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  process.exitCode = totals.failed > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

// npm start: build, start the local sandbox (PostgreSQL 18), and open a real VS Code with the extension
// in an isolated profile whose settings join that sandbox. Uses `code --extensionDevelopmentPath` when a
// `code` binary is on PATH, otherwise code-server (cached outside the repo) and prints the URL to open.
// Ctrl-C stops VS Code / code-server and the sandbox.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { codeServerPackages, ensurePackages } from './prerequisites.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const cli = path.join(root, 'dist', 'cli.js');
const sandboxPort = Number(process.env.PGOPS_SANDBOX_PORT ?? 54329);

function step(text) {
  console.log(`\n▶ ${text}`);
}

function runOrExit(what, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`✘ ${what} failed (${r.error ? r.error.message : `exit ${r.status}`})`);
    process.exit(1);
  }
}

/** The launcher is TypeScript shared with the vscode test tier; bundle it on the fly (milliseconds). */
async function loadLauncher() {
  const outfile = path.join(root, 'out', 'start', 'codeServer.cjs');
  await esbuild.build({
    entryPoints: [path.join(root, 'test', 'support', 'codeServer.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return createRequire(import.meta.url)(outfile);
}

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, name)));
}

step('Building the extension and the CLI');
runOrExit('npm run build', process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
const launcher = await loadLauncher();

const profileDir = path.join(launcher.cacheDir(), 'start-profile');
const settings = { 'pgops.sandbox.port': sandboxPort, 'pgops.sandbox.autoStart': true };
const profile = launcher.prepareProfile(profileDir, settings);
const storageDir = launcher.globalStorageDir(profile);

step(`Starting the local sandbox (PostgreSQL 18 on 127.0.0.1:${sandboxPort}; data under ${storageDir})`);
runOrExit('pgops sandbox start', process.execPath, [
  cli,
  'sandbox',
  'start',
  '--dir',
  storageDir,
  '--port',
  String(sandboxPort),
]);

let stopping = false;
async function shutdown(stopVsCode, code) {
  if (stopping) return;
  stopping = true;
  console.log('\n▶ Stopping VS Code and the local sandbox');
  await stopVsCode();
  spawnSync(process.execPath, [cli, 'sandbox', 'stop', '--dir', storageDir, '--port', String(sandboxPort)], {
    stdio: 'inherit',
  });
  process.exit(code);
}

if (onPath('code') && !process.env.PGOPS_USE_CODE_SERVER) {
  step('Opening VS Code with the extension under development (isolated profile)');
  const child = spawn(
    'code',
    [
      '--wait',
      '--new-window',
      `--extensionDevelopmentPath=${root}`,
      '--user-data-dir',
      profile.userDataDir,
      '--extensions-dir',
      profile.extensionsDir,
      root,
    ],
    { stdio: 'inherit' },
  );
  const stopCode = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void shutdown(stopCode, 0));
  console.log(
    '  Open the Postgres Ops icon in the activity bar: the "Local sandbox (PostgreSQL 18)" connection is listed.',
  );
  console.log('  Close the window (or press Ctrl-C here) to stop the sandbox.');
  child.on('exit', () => void shutdown(stopCode, 0));
} else {
  step('No `code` binary on PATH: starting code-server (the real VS Code workbench in your browser)');
  if (!ensurePackages(codeServerPackages, (line) => console.log(`  ${line}`))) await shutdown(async () => undefined, 1);
  const install = launcher.ensureCodeServer((line) => console.log(`  ${line}`));
  launcher.linkExtension(root, profile.extensionsDir);
  const port = process.env.PGOPS_START_PORT ? Number(process.env.PGOPS_START_PORT) : undefined;
  let server;
  try {
    server = await launcher.startCodeServer({
      install,
      profile,
      folder: root,
      port,
      logFile: path.join(profileDir, 'code-server.log'),
    });
  } catch (err) {
    console.error(`✘ ${err.message}`);
    await shutdown(async () => undefined, 1);
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void shutdown(() => server.stop(), 0));
  const url = `${server.url}?folder=${encodeURIComponent(root)}`;
  console.log(`\n  Open ${url}`);
  console.log(
    '  Click the Postgres Ops icon in the activity bar: the "Local sandbox (PostgreSQL 18)" connection is listed.',
  );
  console.log('  Press Ctrl-C here to stop code-server and the sandbox.');
  const watch = setInterval(() => {
    if (server.exited()) {
      clearInterval(watch);
      console.error(`✘ code-server exited. Its last output:\n${server.recentOutput()}`);
      void shutdown(async () => undefined, 1);
    }
  }, 1000);
}

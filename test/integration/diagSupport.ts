/** Load generators for the diagnostics tests: real pgbench and plain SQL against a test server. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import type { Client } from 'pg';
import { findPgbench } from '../../src/core/bench/findPgbench';
import { chownTree } from '../../src/core/sandbox/osUser';
import type { PgServerLayout } from '../../src/core/sandbox/pgServer';
import { freePort, startServer, stopServer } from '../../src/core/sandbox/pgServer';
import type { TestServer } from '../support/servers';
import { tempDir } from '../support/servers';

const run = promisify(execFile);

/** Runs the real pgbench (argument array, no shell) against `database` on the server, over TCP with SCRAM. */
export async function pgbench(srv: TestServer, database: string, args: string[]): Promise<string> {
  const bin = findPgbench().path;
  const { stdout, stderr } = await run(
    bin,
    ['-h', srv.host, '-p', String(srv.port), '-U', srv.user, ...args, database],
    {
      env: { ...process.env, PGPASSWORD: srv.password, PGAPPNAME: 'pgops diag test load' },
      timeout: 120_000,
    },
  );
  return `${stdout}\n${stderr}`;
}

/** Polls `fn` every 200 ms until it returns a value; fails naming `what` after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates (or recreates) a database and returns an admin client on it. */
export async function freshDatabase(srv: TestServer, name: string): Promise<Client> {
  const admin = await srv.admin();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return srv.admin(name);
}

/**
 * The sort workload of the comparison tests: a fresh database with pg_stat_statements and `sortme`
 * (20,000 md5 keys, vacuumed now so autovacuum has nothing to do during the runs), and `sort.sql` in
 * `dir`, about 1 MB of keys sorted in full (no LIMIT, so no top-N heap): it spills at work_mem 64kB
 * and fits in 64MB. Returns the superuser's URI to the database.
 */
export async function sortWorkload(srv: TestServer, database: string, dir: string): Promise<string> {
  const t = srv.target();
  const db = await freshDatabase(srv, database);
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await db.query('CREATE TABLE sortme AS SELECT md5(g::text) AS v FROM generate_series(1, 20000) g');
    await db.query('VACUUM ANALYZE sortme');
  } finally {
    await db.end();
  }
  fs.writeFileSync(path.join(dir, 'sort.sql'), 'SELECT v FROM sortme ORDER BY v DESC OFFSET 19999;\n');
  return `postgresql://${t.user}:${encodeURIComponent(t.password ?? '')}@${t.host}:${t.port}/${database}`;
}

export interface Standby {
  port: number;
  /** The standby's server log. */
  logFile: string;
  /** A superuser client on the standby over its Unix socket; the caller ends it. */
  admin(): Promise<Client>;
  stop(): Promise<void>;
}

/**
 * A streaming hot standby of `primary`, made with the low-level backup API (pg_backup_start /
 * pg_backup_stop and a file copy) because PostgreSQL 18 from npm ships no pg_basebackup. It streams
 * from the primary through the physical slot `slotName`.
 */
/** What pg_basebackup leaves out: the contents of these directories, which the server rebuilds. */
const rebuiltDirs = new Set([
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
  'pg_replslot',
]);

/**
 * Copies the data directory of a running server as a base backup does: no WAL segments, no postmaster
 * files, temp files or rebuilt directories' contents. The server keeps working meanwhile, so a file
 * removed between listing and copying (a stats temp file, a logical snapshot, a dropped relation) is
 * skipped, as the server's own base backup skips it: WAL replay from the backup's start recreates
 * whatever the copy needs.
 */
function copyRunningDataDir(src: string, dst: string, top = true): void {
  fs.mkdirSync(dst, { recursive: true });
  const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(src, { withFileTypes: true });
  } catch (err) {
    if (gone(err)) return;
    throw err;
  }
  for (const e of entries) {
    const from = path.join(src, e.name);
    const to = path.join(dst, e.name);
    if (e.name.startsWith('pgsql_tmp') || e.name === 'pg_internal.init') continue;
    if (top && /^(postmaster\.(pid|opts)|backup_label|tablespace_map)$/.test(e.name)) continue;
    if (e.isDirectory()) {
      if (top && rebuiltDirs.has(e.name)) fs.mkdirSync(to);
      else copyRunningDataDir(from, to, false);
    } else if (!/^[0-9A-F]{24}(\.partial)?$/.test(e.name) || path.basename(src) !== 'pg_wal') {
      try {
        fs.copyFileSync(from, to);
      } catch (err) {
        if (!gone(err)) throw err;
      }
    }
  }
}

export async function startStandby(primary: TestServer, slotName: string): Promise<Standby> {
  const root = tempDir('standby');
  const layout: PgServerLayout = {
    ...primary.layout,
    dataDir: path.join(root, 'data'),
    socketDir: path.join(root, 'sock'),
    logFile: path.join(root, 'server.log'),
    port: await freePort(),
  };
  fs.mkdirSync(layout.socketDir);
  try {
    await backUpAndStart(primary, layout, slotName);
  } catch (err) {
    // nothing is left behind: no half-copied data directory, no slot holding WAL
    await stopServer(layout.dataDir).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
    await dropStandbySlot(primary, slotName);
    throw err;
  }
  return {
    port: layout.port,
    logFile: layout.logFile,
    admin: async () => {
      const c = new PgClient({
        host: layout.socketDir,
        port: layout.port,
        user: primary.user,
        database: 'postgres',
        application_name: 'pgops test standby admin',
      });
      await c.connect();
      return c;
    },
    stop: async () => {
      await stopServer(layout.dataDir);
      fs.rmSync(root, { recursive: true, force: true });
      await dropStandbySlot(primary, slotName);
    },
  };
}

async function dropStandbySlot(primary: TestServer, slotName: string): Promise<void> {
  const a = await primary.admin();
  await a
    .query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [
      slotName,
    ])
    .catch(() => undefined);
  await a.end();
}

async function backUpAndStart(primary: TestServer, layout: PgServerLayout, slotName: string): Promise<void> {
  const admin = await primary.admin();
  try {
    await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [slotName]);
    const major = primary.major;
    // renamed in 15 from pg_start_backup / pg_stop_backup (whose non-exclusive form takes exclusive = false)
    await admin.query(
      major >= 15
        ? "SELECT pg_backup_start('pgops diag standby', true)"
        : "SELECT pg_start_backup('pgops diag standby', true, false)",
    );
    copyRunningDataDir(primary.layout.dataDir, layout.dataDir);
    const stop = await admin.query<{ labelfile: string }>(
      major >= 15 ? 'SELECT labelfile FROM pg_backup_stop(true)' : 'SELECT labelfile FROM pg_stop_backup(false, true)',
    );
    fs.writeFileSync(path.join(layout.dataDir, 'backup_label'), stop.rows[0].labelfile);
  } finally {
    await admin.end();
  }
  fs.writeFileSync(path.join(layout.dataDir, 'standby.signal'), '');
  const conninfo = `host=127.0.0.1 port=${primary.port} user=${primary.user} password=${primary.password} application_name=diag_standby`;
  fs.appendFileSync(
    path.join(layout.dataDir, 'postgresql.auto.conf'),
    `primary_conninfo = '${conninfo}'\nprimary_slot_name = '${slotName}'\n`,
  );
  chownTree(path.dirname(layout.dataDir), layout.runAs);
  fs.chmodSync(layout.dataDir, 0o700);
  await startServer(layout);
}

/**
 * A backend that sleeps until `cancel()`: a wait that outlasts any sampling however loaded the machine is.
 * Resolves once the server shows it sleeping, so a sampler started afterwards sees it from its first sample.
 */
export async function startSleeper(srv: TestServer): Promise<{ cancel(): Promise<void> }> {
  const [sleeper, watcher] = await Promise.all([srv.admin(), srv.admin()]);
  const marker = `pgops-sleeper-${process.pid}-${Date.now()}`;
  const sleeping = sleeper.query(`SELECT pg_sleep(600) /* ${marker} */`).catch(() => undefined);
  const find = "FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()";
  for (const deadline = Date.now() + 30_000; ;) {
    if ((await watcher.query(`SELECT 1 ${find} AND wait_event = 'PgSleep'`, [marker])).rowCount) break;
    if (Date.now() > deadline) throw new Error('the sleeping backend did not start within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    cancel: async () => {
      await watcher.query(`SELECT pg_cancel_backend(pid) ${find}`, [marker]);
      await sleeping;
      await Promise.all([sleeper.end(), watcher.end()]);
    },
  };
}

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
    const walSegment = /pg_wal\/[0-9A-F]{24}$/;
    // like pg_basebackup: no WAL segments, no postmaster files, and not the primary's replication slots
    const skip = (src: string) =>
      walSegment.test(src) || /postmaster\.(pid|opts)$/.test(src) || /pg_replslot\/./.test(src);
    fs.cpSync(primary.layout.dataDir, layout.dataDir, { recursive: true, filter: (src) => !skip(src) });
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
  chownTree(root, layout.runAs);
  fs.chmodSync(layout.dataDir, 0o700);
  await startServer(layout);
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
      const a = await primary.admin();
      await a
        .query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
          [slotName],
        )
        .catch(() => undefined);
      await a.end();
    },
  };
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

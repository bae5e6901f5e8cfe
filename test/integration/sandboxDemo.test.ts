/**
 * `pgops sandbox start --demo` as a user runs it (the real CLI process, the embedded PostgreSQL 18, real
 * pgbench): every diagnostic command then has something true to show, a second start adds nothing,
 * and reset removes the demo, its slot and its sample report.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { readReport } from '../../src/core/report/read';
import { embeddedBinaries } from '../../src/core/sandbox/binaries';
import { demoCompleteComment, demoReportName, demoSlot } from '../../src/core/sandbox/demo';
import { freePort } from '../../src/core/sandbox/pgServer';
import { resetSandbox, stopSandbox } from '../../src/core/sandbox/sandbox';
import { repoRoot, tempDir } from '../support/servers';
import { cliEnv, runCliProcess } from './cliProcess';

describe('pgops sandbox start --demo (embedded PostgreSQL 18, real pgbench)', function () {
  this.timeout(240_000);
  let storage: string;
  let home: string;
  let reports: string;
  let port: number;
  let conn: string;
  let socket: string;

  const pgops = async (args: string[], timeoutMs = 180_000) => {
    const r = await runCliProcess(args, { env: cliEnv(home), cwd: home, timeoutMs });
    assert.equal(r.code, 0, `pgops ${args.join(' ')} failed:\n${r.err}`);
    return r;
  };
  const sandboxArgs = () => ['--dir', storage, '--port', String(port)];
  const json = async <T>(args: string[]): Promise<T> => JSON.parse((await pgops([...args, '--json'])).out) as T;
  const startDemo = () =>
    json<{ host: string; started: boolean; demo: { seeded: boolean; reportFile?: string } }>([
      'sandbox',
      'start',
      '--demo',
      '--reports',
      reports,
      ...sandboxArgs(),
    ]);

  async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
    const c = new Client({ host: socket, port, user: 'postgres', database: 'postgres' });
    await c.connect();
    try {
      return (await c.query(sql, values)).rows as T[];
    } finally {
      await c.end();
    }
  }
  const demoRows = () =>
    query<{ slots: string; events: string; churned: string }>(
      `SELECT (SELECT count(*) FROM pg_replication_slots) AS slots,
              (SELECT count(*) FROM pgops_demo.replicated_events) AS events,
              (SELECT count(*) FROM pgops_demo.churned_orders) AS churned`,
    );

  before(async () => {
    storage = tempDir('demo-storage');
    home = tempDir('demo-home');
    reports = path.join(home, 'reports');
    port = await freePort();
  });

  after(async () => {
    const opts = { storageDir: storage, binaries: embeddedBinaries(repoRoot), port, holder: 'cli' as const };
    await stopSandbox(opts, true).catch(() => undefined);
    await resetSandbox(opts).catch(() => undefined);
    fs.rmSync(storage, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('starts the sandbox and seeds the demo, with a real sample report from a pgbench run', async () => {
    const started = await startDemo();
    socket = started.host;
    conn = `host=${socket} port=${port} user=postgres dbname=postgres`;
    assert.equal(started.demo.seeded, true);
    assert.equal(started.demo.reportFile, path.join(reports, `${demoReportName}.pgperf.json`));
    const report = readReport(started.demo.reportFile);
    assert.equal(report.report_name, demoReportName);
    assert.equal(report.pgops?.status, 'complete');
    assert.deepEqual(
      report.pgops?.iterations.map((i) => i.value),
      [1, 2],
    );
    for (const it of report.pgops?.iterations ?? [])
      assert.ok((it.tps ?? 0) > 0, `iteration ${it.index} tps ${it.tps}`);
    const [label] = await query<{ c: string }>(
      "SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = 'pgops_demo'",
    );
    assert.equal(label.c, demoCompleteComment, 'the schema is labelled as pgops demo data');
  });

  it('leaves at least 10 statements in pgops stats --json, pgbench workload among them', async () => {
    const rows = await json<Array<{ query: string; calls: number }>>(['stats', '--conn', conn, '--limit', '50']);
    assert.ok(rows.length >= 10, `${rows.length} statements`);
    assert.ok(
      rows.some((r) => /UPDATE pgbench_accounts SET abalance/.test(r.query) && r.calls > 10),
      `pgbench's tpcb-like UPDATE among: ${rows.map((r) => r.query.slice(0, 40)).join(' | ')}`,
    );
  });

  it('leaves a relation with at least 20% estimated bloat in pgops bloat --json', async () => {
    const rows = await json<Array<{ schema: string; name: string; bloatPct: number; unreliable: string | null }>>([
      'bloat',
      '--conn',
      conn,
    ]);
    const churned = rows.find((r) => r.schema === 'pgops_demo' && r.name === 'churned_orders');
    assert.ok(churned, `churned_orders listed: ${rows.map((r) => `${r.schema}.${r.name}`).join(', ')}`);
    assert.ok(churned.bloatPct >= 20, `bloat ${churned.bloatPct}%`);
    assert.equal(churned.unreliable, null, 'the estimate rests on fresh statistics');
  });

  it('leaves a logical slot with pending changes in pgops slots --json', async () => {
    const slots = await json<Array<{ slotName: string; slotType: string; retainedBytes: number | null }>>([
      'slots',
      '--conn',
      conn,
    ]);
    const slot = slots.find((s) => s.slotName === demoSlot);
    assert.ok(slot, `slots: ${slots.map((s) => s.slotName).join(', ')}`);
    assert.equal(slot.slotType, 'logical');
    assert.ok((slot.retainedBytes ?? 0) > 0, `retains ${slot.retainedBytes} bytes`);
    const [pending] = await query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
         'proto_version', '1', 'publication_names', 'pgops_demo_publication')`,
      [demoSlot],
    );
    assert.ok(Number(pending.n) > 0, `${pending.n} pending changes`);
  });

  it('adds nothing on a second start --demo, and returns quickly', async () => {
    const before = await demoRows();
    const t0 = Date.now();
    const again = await startDemo();
    const elapsed = Date.now() - t0;
    assert.equal(again.started, false);
    assert.equal(again.demo.seeded, false);
    assert.ok(elapsed < 10_000, `second start took ${elapsed} ms`);
    assert.deepEqual(await demoRows(), before);
    assert.deepEqual(
      fs.readdirSync(reports).filter((f) => f.endsWith('.pgperf.json')),
      [`${demoReportName}.pgperf.json`],
    );
  });

  it('sandbox reset removes the demo entirely: schema, slot and sample report', async () => {
    const reportFile = path.join(reports, `${demoReportName}.pgperf.json`);
    const reset = await json<{ demoFilesRemoved: string[] }>(['sandbox', 'reset', '--force', ...sandboxArgs()]);
    assert.ok(reset.demoFilesRemoved.includes(reportFile), `removed: ${reset.demoFilesRemoved.join(', ')}`);
    assert.equal(fs.existsSync(reportFile), false);
    assert.equal(fs.existsSync(path.join(reports, `${demoReportName}.html`)), false);
    await pgops(['sandbox', 'start', ...sandboxArgs()]);
    const [left] = await query<{ schemas: string; slots: string; pubs: string }>(
      `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'pgops_demo') AS schemas,
              (SELECT count(*) FROM pg_replication_slots) AS slots,
              (SELECT count(*) FROM pg_publication) AS pubs`,
    );
    assert.deepEqual(left, { schemas: '0', slots: '0', pubs: '0' });
    await pgops(['sandbox', 'stop', ...sandboxArgs()]);
  });
});

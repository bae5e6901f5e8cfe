import * as assert from 'node:assert/strict';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { forEachServer } from '../support/servers';
import { startSleeper } from './diagSupport';

function io(env: NodeJS.ProcessEnv): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd: process.cwd() };
}

forEachServer('diag command line (pgops stats|slots|bloat|waits)', (srv) => {
  const conn = () => `host=127.0.0.1 port=${srv().port} user=postgres dbname=postgres`;
  const env = () => ({ PGPASSWORD: srv().password });

  async function json(args: string[]): Promise<unknown> {
    const c = io(env());
    const code = await main(args, c);
    assert.equal(code, 0, c.stderr.join('\n'));
    assert.ok(!c.stdout.join('').includes(srv().password), 'no password in the output');
    return JSON.parse(c.stdout.join('\n'));
  }

  it('stats --json: queryid, query, calls, totalMs, meanMs, rows, ordered as asked', async () => {
    const admin = await srv().admin();
    try {
      for (let i = 0; i < 25; i++) await admin.query('SELECT $1::int AS diag_cli_marker', [i]);
    } finally {
      await admin.end();
    }
    const rows = (await json(['stats', '--conn', conn(), '--order', 'calls', '--limit', '5', '--json'])) as Array<
      Record<string, unknown>
    >;
    assert.ok(rows.length > 0 && rows.length <= 5);
    for (const k of ['queryid', 'query', 'calls', 'totalMs', 'meanMs', 'rows']) assert.ok(k in rows[0], k);
    const calls = rows.map((r) => r.calls as number);
    assert.deepEqual(
      calls,
      [...calls].sort((a, b) => b - a),
    );
    const byTotal = (await json(['stats', '--conn', conn(), '--order', 'total', '--limit', '50', '--json'])) as Array<
      Record<string, number>
    >;
    assert.deepEqual(
      byTotal.map((r) => r.totalMs),
      byTotal.map((r) => r.totalMs).sort((a, b) => b - a),
    );
  });

  it('slots --json: slotName, slotType, active, walStatus, retainedBytes', async () => {
    const admin = await srv().admin();
    await admin.query("SELECT pg_create_physical_replication_slot('diag_cli_slot', true)");
    try {
      const rows = (await json(['slots', '--conn', conn(), '--json'])) as Array<Record<string, unknown>>;
      const slot = rows.find((r) => r.slotName === 'diag_cli_slot');
      assert.ok(slot);
      assert.equal(slot.slotType, 'physical');
      assert.equal(slot.active, false);
      assert.equal(slot.walStatus, 'reserved');
      assert.ok((slot.retainedBytes as number) > 0);
    } finally {
      await admin.query("SELECT pg_drop_replication_slot('diag_cli_slot')");
      await admin.end();
    }
  });

  it('bloat --json: schema, name, kind, sizeBytes, wastedBytes, bloatPct by wasted bytes', async () => {
    const admin = await srv().admin();
    await admin.query('CREATE TABLE diag_cli_t AS SELECT g AS id FROM generate_series(1, 5000) g');
    await admin.query('CREATE INDEX diag_cli_i ON diag_cli_t (id)');
    await admin.query('ANALYZE diag_cli_t');
    let rows: Array<Record<string, unknown>>;
    try {
      rows = (await json(['bloat', '--conn', conn(), '--limit', '10', '--json'])) as Array<Record<string, unknown>>;
    } finally {
      await admin.query('DROP TABLE diag_cli_t');
      await admin.end();
    }
    assert.ok(
      rows.some((r) => r.name === 'diag_cli_t' && r.kind === 'table') &&
        rows.some((r) => r.name === 'diag_cli_i' && r.kind === 'index'),
    );
    for (const k of ['schema', 'name', 'kind', 'sizeBytes', 'wastedBytes', 'bloatPct']) assert.ok(k in rows[0], k);
    assert.ok(rows.every((r) => r.kind === 'table' || r.kind === 'index'));
    const wasted = rows.map((r) => r.wastedBytes as number);
    assert.deepEqual(
      wasted,
      [...wasted].sort((a, b) => b - a),
    );
  });

  it('waits --json: counts per wait_event_type / wait_event', async () => {
    const sleeper = await startSleeper(srv());
    try {
      const out = (await json(['waits', '--conn', conn(), '--seconds', '1', '--hz', '5', '--json'])) as {
        samples: number;
        counts: Array<{ waitEventType: string; waitEvent: string; count: number }>;
      };
      assert.ok(out.samples >= 2 && out.samples <= 6, `2 to 6 samples in 1 s at 5 Hz: ${out.samples}`);
      assert.ok(
        out.counts.some((c) => c.waitEventType === 'Timeout' && c.waitEvent === 'PgSleep' && c.count === out.samples),
        JSON.stringify(out),
      );
    } finally {
      await sleeper.cancel();
    }
  });

  it('exits 2 on a bad --order and 1 with a hint when the server is not there', async () => {
    const bad = io(env());
    assert.equal(await main(['stats', '--conn', conn(), '--order', 'fastest'], bad), 2);
    assert.match(bad.stderr.join('\n'), /--order must be one of/);
    const down = io(env());
    assert.equal(await main(['slots', '--conn', 'host=127.0.0.1 port=1 user=postgres dbname=postgres'], down), 1);
    assert.match(down.stderr.join('\n'), /No PostgreSQL server answers/);
  });
});

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { estimateBloat } from '../../src/core/diag/bloat';
import { measureBloat } from '../../src/core/diag/bloatExact';
import { dropSlot, replicationOverview } from '../../src/core/diag/replication';
import { statementHealth } from '../../src/core/diag/statementHealth';
import { canResetStatements, probeStatements, requireStatements, topStatements } from '../../src/core/diag/statements';
import { sampleWaits } from '../../src/core/diag/waitSampler';
import { forEachServer } from '../support/servers';
import { startSleeper } from './diagSupport';

/** More than pg_stat_statements.max (5000 by default): every entry. */
const allEntries = 10_000;
/**
 * The admin's marker statement. pg_stat_statements keys an entry by the jumbled query, which leaves out column aliases
 * and keeps the first text it saw: `SELECT 1 AS marker` shares its entry (and text) with any earlier `SELECT 1 AS one`
 * of the same role. A table created by this file makes the marker's entry its own.
 */
const markerSql = 'SELECT count(*) AS diag_perm_marker FROM diag_perm_t WHERE id < 0';

forEachServer('diag permissions of monitoring roles', (srv, major) => {
  const password = crypto.randomBytes(12).toString('base64url');
  let admin: Client;
  let plain: Client;
  let monitor: Client;

  before(async () => {
    admin = await srv().admin();
    for (const role of ['diag_plain', 'diag_monitor']) {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    }
    await admin.query('GRANT pg_monitor TO diag_monitor');
    await admin.query('DROP TABLE IF EXISTS diag_perm_t');
    await admin.query('CREATE TABLE diag_perm_t (id int, v text)');
    await admin.query("INSERT INTO diag_perm_t SELECT g, 'v' || g FROM generate_series(1, 20000) g");
    await admin.query('ANALYZE diag_perm_t');
    await admin.query("SELECT pg_create_physical_replication_slot('diag_perm_slot')");
    plain = await openTargetSession(srv().target({ user: 'diag_plain', password }));
    monitor = await openTargetSession(srv().target({ user: 'diag_monitor', password }));
  });

  after(async () => {
    await plain?.end();
    await monitor?.end();
    await admin.query("SELECT pg_drop_replication_slot('diag_perm_slot')").catch(() => undefined);
    await admin.query('DROP TABLE IF EXISTS diag_perm_t');
    for (const role of ['diag_plain', 'diag_monitor'])
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
  });

  it("without pg_monitor: other roles' statements are hidden and the health note says what to grant", async () => {
    await admin.query(markerSql);
    const source = await requireStatements(plain);
    const top = await topStatements(plain, source, { limit: allEntries });
    assert.ok(top.length > 0);
    assert.ok(top.some((s) => s.query === '<insufficient privilege>'));
    assert.ok(!top.some((s) => /diag_perm_marker/.test(s.query ?? '')));
    const notes = await statementHealth(plain, await probeStatements(plain));
    assert.ok(notes.some((n) => n.code === 'pgss-privileges' && /pg_read_all_stats/.test(n.hint ?? '')));
    assert.equal((await canResetStatements(plain, source)).allowed, false);
  });

  it('with pg_monitor: every statement text is visible', async () => {
    // run now, and every entry read: a cheap statement run once in before() can rank below any fixed top N, or
    // be evicted, once the tests before this one have filled pg_stat_statements
    await admin.query(markerSql);
    const source = await requireStatements(monitor);
    const top = await topStatements(monitor, source, { limit: allEntries });
    assert.ok(top.some((s) => /diag_perm_marker/.test(s.query ?? '')));
    const notes = await statementHealth(monitor, await probeStatements(monitor));
    assert.ok(!notes.some((n) => n.code === 'pgss-privileges'));
  });

  it("wait sampling sees other roles' backends only with pg_monitor", async () => {
    const sleeper = await startSleeper(srv());
    try {
      const [seenByPlain, seenByMonitor] = await Promise.all([
        sampleWaits(plain, 1, { hz: 4 }),
        sampleWaits(monitor, 1, { hz: 4 }),
      ]);
      const sleeps = (s: typeof seenByPlain) =>
        s.counts.find((c) => c.waitEventType === 'Timeout' && c.waitEvent === 'PgSleep')?.count ?? 0;
      assert.equal(sleeps(seenByPlain), 0);
      assert.ok(seenByMonitor.samples >= 2, `samples: ${seenByMonitor.samples}`);
      assert.equal(sleeps(seenByMonitor), seenByMonitor.samples, 'pg_monitor sees the sleeper in every sample');
    } finally {
      await sleeper.cancel();
    }
  });

  it('replication: slots are public, walsender details need pg_read_all_stats, dropping needs REPLICATION', async () => {
    const p = await replicationOverview(plain, major * 10000);
    const m = await replicationOverview(monitor, major * 10000);
    assert.equal(p.readAllStats, false);
    assert.equal(m.readAllStats, true);
    assert.ok(p.slots.some((s) => s.slotName === 'diag_perm_slot'));
    await assert.rejects(
      dropSlot(monitor, 'diag_perm_slot'),
      (e: Error & { code?: string; hint?: string }) => e.code === 'diag-permission' && /REPLICATION/.test(e.hint ?? ''),
    );
  });

  it('bloat: estimates need readable statistics, exact measurement needs pg_stat_scan_tables', async () => {
    const p = (await estimateBloat(plain, 200)).find((r) => r.name === 'diag_perm_t');
    const m = (await estimateBloat(monitor, 200)).find((r) => r.name === 'diag_perm_t');
    assert.ok(p && m);
    assert.match(p.unreliable ?? '', /statistics missing/);
    assert.match(
      m.unreliable ?? '',
      /statistics missing/,
      'pg_monitor does not read table statistics either (pg_stats follows SELECT privilege)',
    );
    await assert.rejects(
      measureBloat(plain, p.oid, 'table'),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === 'diag-permission' && /pg_stat_scan_tables/.test(e.hint ?? ''),
    );
    const exact = await measureBloat(monitor, m.oid, 'table');
    assert.ok(exact.sizeBytes > 0);
  });
});

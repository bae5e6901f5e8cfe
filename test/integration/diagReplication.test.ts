import * as assert from 'node:assert/strict';
import { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { listPublications, peekSlot } from '../../src/core/diag/logicalPeek';
import type { PgOpsError } from '../../src/core/errors';
import { dropSlot, replicationOverview, slotWarnings } from '../../src/core/diag/replication';
import { forEachServer } from '../support/servers';
import { freshDatabase } from './diagSupport';

/** Keeps only transactions that changed something: test_decoding also shows empty ones (other databases, DDL). */
function withChanges(lines: string[]): string[] {
  const out: string[] = [];
  let tx: string[] = [];
  for (const l of lines) {
    if (l.startsWith('BEGIN')) tx = [l];
    else if (l.startsWith('COMMIT')) {
      if (tx.length > 1) out.push(...tx, l);
      tx = [];
    } else tx.push(l);
  }
  return out;
}

forEachServer('diag replication slots and pgoutput', (srv, major) => {
  let admin: Client;
  let session: Client;
  let walsender: Client | undefined;

  before(async () => {
    admin = await freshDatabase(srv(), 'diag_repl');
    await admin.query('CREATE TABLE t1 (id int PRIMARY KEY, name text, flag boolean, amount numeric)');
    await admin.query('CREATE TABLE "T two" (id int PRIMARY KEY, note text)');
    await admin.query('CREATE PUBLICATION diag_pub FOR TABLE t1, "T two"');
    await admin.query('CREATE PUBLICATION diag_pub_two FOR TABLE "T two"');
    await admin.query("SELECT pg_create_logical_replication_slot('diag_td', 'test_decoding')");
    await admin.query("SELECT pg_create_logical_replication_slot('diag_po', 'pgoutput')");
    await admin.query("SELECT pg_create_physical_replication_slot('diag_phys', true)");
    await admin.query("SELECT pg_create_logical_replication_slot('diag_active', 'test_decoding')");
    await admin.query('BEGIN');
    await admin.query("INSERT INTO t1 VALUES (1, 'one', true, 1.5), (2, 'two', false, NULL), (3, NULL, NULL, 3)");
    await admin.query("UPDATE t1 SET name = 'uno' WHERE id = 1");
    await admin.query('UPDATE t1 SET id = 30 WHERE id = 3');
    await admin.query('DELETE FROM t1 WHERE id = 2');
    await admin.query(`INSERT INTO "T two" VALUES (1, 'first')`);
    await admin.query('COMMIT');
    await admin.query('BEGIN');
    await admin.query('TRUNCATE "T two"');
    await admin.query(`INSERT INTO t1 VALUES (4, 'it''s', true, -2)`);
    await admin.query('DELETE FROM t1 WHERE id = 30');
    await admin.query('COMMIT');
    session = await openTargetSession(srv().target({ database: 'diag_repl' }));
  });

  after(async () => {
    walsender?.end().catch(() => undefined);
    await session?.end();
    // slots left behind would hold WAL for the rest of the run; the terminated walsender may need a moment to let go
    for (let i = 0; i < 20; i++) {
      const left = await admin
        .query(
          "SELECT pg_drop_replication_slot(slot_name), active FROM pg_replication_slots WHERE slot_name LIKE 'diag\\_%' AND NOT active",
        )
        .catch(() => undefined);
      const remaining = (
        await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE 'diag\\_%'",
        )
      ).rows[0].n;
      if (left && remaining === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin?.end();
  });

  it('decodes pgoutput into the same rows test_decoding prints for insert/update/delete/truncate in two transactions', async () => {
    const td = await peekSlot(session, 'diag_td', 1000);
    const po = await peekSlot(session, 'diag_po', 1000, { publications: ['diag_pub'] });
    const expected = withChanges(td.rows.map((r) => r.text));
    const decoded = withChanges(po.rows.filter((r) => r.kind !== 'relation' && r.kind !== 'type').map((r) => r.text));
    assert.ok(expected.length >= 12, expected.join('\n'));
    assert.ok(
      expected.some((l) => /UPDATE: old-key: id\[integer\]:3 new-tuple: id\[integer\]:30/.test(l)),
      expected.join('\n'),
    );
    assert.ok(
      expected.some((l) => /table public\."T two": TRUNCATE: \(no-flags\)/.test(l)),
      expected.join('\n'),
    );
    assert.deepEqual(decoded, expected);
    assert.ok(po.rows.some((r) => r.kind === 'relation' && r.relation === 'public.T two'));
    assert.equal(po.options.proto_version, '1');
  });

  it("lists the publications, and decodes only the chosen one's tables", async () => {
    assert.deepEqual(await listPublications(session), [
      { name: 'diag_pub', allTables: false, tables: 2 },
      { name: 'diag_pub_two', allTables: false, tables: 1 },
    ]);
    const two = await peekSlot(session, 'diag_po', 1000, { publications: ['diag_pub_two'] });
    assert.deepEqual([...new Set(two.rows.filter((r) => r.relation).map((r) => r.relation))], ['public.T two']);
    assert.ok(
      two.rows.some((r) => r.kind === 'insert') && two.rows.some((r) => r.kind === 'truncate'),
      two.rows.map((r) => r.text).join('\n'),
    );
    assert.equal(two.options.publication_names, '"diag_pub_two"');
    assert.deepEqual(two.warnings, []);
  });

  it('explains why a publication created after the pending changes cannot decode them', async () => {
    await admin.query('CREATE PUBLICATION diag_pub_late FOR TABLE t1');
    try {
      const peek = peekSlot(session, 'diag_po', 1000, { publications: ['diag_pub_late'] });
      if (major < 18) {
        await assert.rejects(
          peek,
          (err: PgOpsError) =>
            err.code === 'pgoutput-publication-later' &&
            err.message === 'Peeking replication slot "diag_po": publication "diag_pub_late" does not exist' &&
            /created after the pending changes/.test(err.hint ?? ''),
        );
      } else {
        // PostgreSQL 18 skips the publication with a WARNING and decodes nothing for it
        const r = await peek;
        assert.deepEqual(
          r.rows.filter((x) => x.relation),
          [],
        );
        assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
        assert.match(
          r.warnings[0],
          /skipped loading publication.*diag_pub_late.*did not exist yet, so changes it would publish are not shown\.$/,
        );
      }
    } finally {
      await admin.query('DROP PUBLICATION diag_pub_late');
    }
  });

  it('peeks without consuming: a second peek returns the same changes', async () => {
    const a = await peekSlot(session, 'diag_po', 1000);
    const b = await peekSlot(session, 'diag_po', 1000);
    assert.deepEqual(a.rows, b.rows);
    assert.ok(a.rows.length > 0);
  });

  it('lists logical and physical slots with retained WAL and the columns of this version', async () => {
    const o = await replicationOverview(session, major * 10000);
    assert.equal(o.standby, false);
    const phys = o.slots.find((s) => s.slotName === 'diag_phys');
    const po = o.slots.find((s) => s.slotName === 'diag_po');
    assert.ok(phys && po);
    assert.equal(phys.slotType, 'physical');
    assert.equal(po.slotType, 'logical');
    assert.equal(po.plugin, 'pgoutput');
    assert.ok((phys.retainedBytes ?? 0) > 0, 'an immediately reserved physical slot retains WAL');
    assert.ok(
      (po.retainedBytes ?? 0) > 0 && (po.unconfirmedBytes ?? 0) > 0,
      'pending changes are retained and unconfirmed',
    );
    assert.equal(po.walStatus, 'reserved');
    assert.equal(po.twoPhase, major >= 14 ? false : undefined, 'two_phase exists on 14+');
    assert.equal('conflicting' in po, major >= 16);
    assert.equal('inactiveSince' in po, major >= 17);
    if (major >= 17) assert.ok(po.inactiveSince, 'an unused slot has inactive_since');
    assert.deepEqual(
      slotWarnings(po, 1).map((w) => w.level),
      ['warning'],
      'inactive slot over the threshold is flagged',
    );
    assert.deepEqual(slotWarnings(po, 1024 ** 3), []);
    assert.deepEqual(
      slotWarnings({ ...po, walStatus: 'lost', active: true }, 1).map((w) => w.level),
      ['error'],
    );
  });

  it('refuses to drop an active slot, names its consumer, and drops an inactive one', async () => {
    walsender = new Client({
      host: srv().host,
      port: srv().port,
      user: srv().user,
      password: srv().password,
      database: 'diag_repl',
      replication: 'database',
      application_name: 'diag-consumer',
    } as ConstructorParameters<typeof Client>[0]);
    walsender.on('error', () => undefined);
    await walsender.connect();
    walsender.query('START_REPLICATION SLOT diag_active LOGICAL 0/0 ("include-xids" \'0\')').catch(() => undefined);
    let active = false;
    for (let i = 0; i < 50 && !active; i++) {
      active = (
        await admin.query<{ active: boolean }>(
          "SELECT active FROM pg_replication_slots WHERE slot_name = 'diag_active'",
        )
      ).rows[0].active;
      if (!active) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(active, 'the walsender made the slot active');
    await assert.rejects(
      dropSlot(session, 'diag_active'),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === 'slot-active' &&
        /is active \(used by PID \d+\)/.test(e.message) &&
        /pg_terminate_backend/.test(e.hint ?? ''),
    );
    const o = await replicationOverview(session, major * 10000);
    assert.ok(
      o.standbys.some((s) => s.applicationName === 'diag-consumer' && s.state !== null),
      'the walsender is listed in pg_stat_replication',
    );
    assert.ok(o.slots.find((s) => s.slotName === 'diag_active')?.active);

    await dropSlot(session, 'diag_phys');
    const after = await replicationOverview(session, major * 10000);
    assert.ok(!after.slots.some((s) => s.slotName === 'diag_phys'));
    await assert.rejects(dropSlot(session, 'diag_phys'), /does not exist/);
    await admin.query(
      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'diag_active'",
    );
    walsender.end().catch(() => undefined);
    walsender = undefined;
  });

  it('says a physical slot has nothing to peek', async () => {
    await admin.query("SELECT pg_create_physical_replication_slot('diag_phys2')");
    try {
      await assert.rejects(peekSlot(session, 'diag_phys2', 10), /physical/);
    } finally {
      await admin.query("SELECT pg_drop_replication_slot('diag_phys2')");
    }
  });
});

import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { estimateBloat } from '../../src/core/diag/bloat';
import { measureBloat } from '../../src/core/diag/bloatExact';
import { forEachServer } from '../support/servers';
import { freshDatabase } from './diagSupport';

forEachServer('diag bloat estimates', (srv, major) => {
  let admin: Client;
  let session: Client;

  before(async function () {
    this.timeout(180_000);
    admin = await freshDatabase(srv(), 'diag_bloat');
    await admin.query('CREATE EXTENSION pgstattuple');
    await admin.query('CREATE TABLE churn (id int PRIMARY KEY, payload text, n int) WITH (autovacuum_enabled = off)');
    await admin.query('INSERT INTO churn SELECT g, repeat(md5(g::text), 2), 0 FROM generate_series(1, 60000) g');
    await admin.query('UPDATE churn SET n = n + 1');
    await admin.query('UPDATE churn SET n = n + 1');
    await admin.query('DELETE FROM churn WHERE id % 3 = 0');
    await admin.query('CREATE TABLE tidy (id int PRIMARY KEY, payload text)');
    await admin.query('INSERT INTO tidy SELECT g, repeat(md5(g::text), 2) FROM generate_series(1, 60000) g');
    // The backend's table counters reach shared stats lazily (up to a second later); flush them now, or the
    // 60,000 inserts could land after ANALYZE and read as "changed since the last analyze". 15+ can force
    // it; before 15 the stats collector gets them within half a second of the session going idle: wait.
    if (major >= 15) await admin.query('SELECT pg_stat_force_next_flush()');
    else {
      for (let i = 0; i < 100; i++) {
        const seen = await admin.query<{ n: string }>(
          "SELECT coalesce(sum(n_tup_ins), 0) AS n FROM pg_stat_user_tables WHERE relname IN ('churn', 'tidy')",
        );
        if (Number(seen.rows[0].n) >= 120_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await admin.query('ANALYZE churn');
    await admin.query('VACUUM ANALYZE tidy');
    // index bloat: most keys deleted and vacuumed away leaves half-empty leaf pages behind
    await admin.query('CREATE TABLE sparse (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off)');
    await admin.query('INSERT INTO sparse SELECT g, g FROM generate_series(1, 100000) g');
    await admin.query('DELETE FROM sparse WHERE id % 5 <> 0');
    await admin.query('VACUUM ANALYZE sparse');
    await admin.query('CREATE TABLE never_analyzed (id int) WITH (autovacuum_enabled = off)');
    await admin.query('INSERT INTO never_analyzed SELECT generate_series(1, 1000)');
    session = await openTargetSession(srv().target({ database: 'diag_bloat' }));
  });

  after(async () => {
    await session?.end();
    await admin?.end();
  });

  it('ranks the churned table first, with an estimate within 15 points of pgstattuple', async () => {
    const rows = await estimateBloat(session, 20);
    assert.equal(rows[0].name, 'churn', JSON.stringify(rows.slice(0, 3)));
    assert.equal(rows[0].kind, 'table');
    assert.ok(
      rows.every((r, i) => i === 0 || rows[i - 1].wastedBytes >= r.wastedBytes),
      'ordered by wasted bytes',
    );
    const exact = await measureBloat(session, rows[0].oid, 'table', { exact: true });
    assert.equal(exact.method, 'pgstattuple');
    assert.ok(exact.bloatPct > 50, `real churn: ${exact.bloatPct}%`);
    assert.ok(
      Math.abs(rows[0].bloatPct - exact.bloatPct) <= 15,
      `estimate ${rows[0].bloatPct}% vs pgstattuple ${exact.bloatPct}%`,
    );
    const tidy = rows.find((r) => r.name === 'tidy');
    assert.ok(tidy && tidy.bloatPct < 10, `freshly loaded table: ${tidy?.bloatPct}%`);
    const approx = await measureBloat(session, rows[0].oid, 'table');
    assert.equal(approx.method, 'pgstattuple_approx');
    assert.ok(Math.abs(approx.bloatPct - exact.bloatPct) <= 10);
  });

  it('estimates btree indexes and measures them with pgstatindex', async () => {
    const rows = await estimateBloat(session, 50);
    const pkey = rows.find((r) => r.name === 'sparse_pkey');
    const tidyPkey = rows.find((r) => r.name === 'tidy_pkey');
    assert.ok(pkey && tidyPkey);
    assert.equal(pkey.kind, 'index');
    assert.equal(pkey.table, 'sparse');
    assert.ok(pkey.bloatPct > tidyPkey.bloatPct, `${pkey.bloatPct} > ${tidyPkey.bloatPct}`);
    const exact = await measureBloat(session, pkey.oid, 'index', { fillfactor: pkey.fillfactor });
    assert.equal(exact.method, 'pgstatindex');
    assert.ok(exact.bloatPct > 30, `pgstatindex sees the half-empty leaves: ${exact.bloatPct}%`);
    assert.ok(
      Math.abs(pkey.bloatPct - exact.bloatPct) <= 20,
      `index estimate ${pkey.bloatPct}% vs pgstatindex ${exact.bloatPct}%`,
    );
    assert.ok(exact.details.avg_leaf_density > 0);
  });

  it('marks estimates without statistics as unreliable', async () => {
    const rows = await estimateBloat(session, 100);
    const never = rows.find((r) => r.name === 'never_analyzed');
    assert.ok(never, 'a table with pages but no statistics is listed');
    assert.match(never.unreliable ?? '', /ANALYZE/);
    assert.equal(rows.find((r) => r.name === 'tidy')?.unreliable, null);
  });
});

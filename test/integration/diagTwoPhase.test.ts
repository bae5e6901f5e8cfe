import * as assert from 'node:assert/strict';
import { openSession } from '../../src/core/conn/session';
import { peekSlot } from '../../src/core/diag/logicalPeek';
import type { TestServer } from '../support/servers';
import { forEachServer, startTestServer } from '../support/servers';

forEachServer('diag pgoutput two-phase (protocol 3)', (srv) => {
  let server: TestServer;

  before(async function () {
    this.timeout(180_000);
    server = await startTestServer(srv().binaries, { settings: { max_prepared_transactions: '5' } });
  });

  after(async () => {
    await server?.stop();
  });

  it('decodes begin prepare, prepare and commit prepared from a real prepared transaction', async () => {
    const admin = await server.admin();
    try {
      await admin.query('SET synchronous_commit = on');
      await admin.query('CREATE TABLE tp (id int PRIMARY KEY)');
      await admin.query('CREATE PUBLICATION tp_pub FOR TABLE tp');
      await admin.query("SELECT pg_create_logical_replication_slot('tp_slot', 'pgoutput', false, true)");
      await admin.query('BEGIN');
      await admin.query('INSERT INTO tp VALUES (1), (2)');
      await admin.query("PREPARE TRANSACTION 'diag-gid'");
      await admin.query("COMMIT PREPARED 'diag-gid'");
      const c = await openSession(server.target());
      try {
        const r = await peekSlot(c, 'tp_slot', 1000, { protoVersion: 3, twoPhase: true, publications: ['tp_pub'] });
        const kinds = r.rows.map((x) => x.kind);
        assert.deepEqual(kinds.filter((k) => k !== 'relation'), ['begin-prepare', 'insert', 'insert', 'prepare', 'commit-prepared'], kinds.join());
        assert.ok(r.rows.filter((x) => /prepare/.test(x.kind)).every((x) => x.text.includes("gid 'diag-gid'")));
      } finally {
        await c.end();
      }
    } finally {
      await admin.end();
    }
  });
});

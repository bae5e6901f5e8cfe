import * as assert from 'node:assert/strict';
import { openTargetSession } from '../../src/core/conn/open';
import { peekSlot } from '../../src/core/diag/logicalPeek';
import type { PgOpsError } from '../../src/core/errors';
import type { TestServer } from '../support/servers';
import { forEachServer, startTestServer } from '../support/servers';

forEachServer('diag pgoutput two-phase (protocol 3)', (srv, major) => {
  let server: TestServer;

  before(async function () {
    this.timeout(180_000);
    server = await startTestServer(srv().binaries, { settings: { max_prepared_transactions: '5' } });
  });

  after(async () => {
    await server?.stop();
  });

  if (major < 15) {
    it('refuses protocol 3 before asking the server: pgoutput decodes two-phase from 15 on', async () => {
      const admin = await server.admin();
      try {
        await admin.query('CREATE TABLE tp (id int PRIMARY KEY)');
        await admin.query('CREATE PUBLICATION tp_pub FOR TABLE tp');
        await admin.query("SELECT pg_create_logical_replication_slot('tp_slot', 'pgoutput')");
        const c = await openTargetSession(server.target());
        try {
          await assert.rejects(
            peekSlot(c, 'tp_slot', 100, { protoVersion: 3, twoPhase: true, publications: ['tp_pub'] }),
            (err: PgOpsError) =>
              err.code === 'pgoutput-option-version' &&
              err.message.includes(`pgoutput of PostgreSQL ${major} has no `) &&
              err.message.endsWith('two_phase (protocol 3), added in 15'),
          );
        } finally {
          await c.end();
        }
      } finally {
        await admin.end();
      }
    });
    return;
  }

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
      const c = await openTargetSession(server.target());
      try {
        const r = await peekSlot(c, 'tp_slot', 1000, { protoVersion: 3, twoPhase: true, publications: ['tp_pub'] });
        const kinds = r.rows.map((x) => x.kind);
        assert.deepEqual(
          kinds.filter((k) => k !== 'relation'),
          ['begin-prepare', 'insert', 'insert', 'prepare', 'commit-prepared'],
          kinds.join(),
        );
        assert.ok(r.rows.filter((x) => /prepare/.test(x.kind)).every((x) => x.text.includes("gid 'diag-gid'")));
      } finally {
        await c.end();
      }
    } finally {
      await admin.end();
    }
  });

  it('decodes rollback prepared, and stream prepare for a prepared transaction larger than logical_decoding_work_mem', async () => {
    const admin = await server.admin();
    try {
      await admin.query('SET synchronous_commit = on');
      await admin.query('CREATE TABLE tp2 (id int PRIMARY KEY, pad text)');
      await admin.query('CREATE PUBLICATION tp2_pub FOR TABLE tp2');
      await admin.query("SELECT pg_create_logical_replication_slot('tp2_slot', 'pgoutput', false, true)");
      await admin.query('BEGIN');
      await admin.query('INSERT INTO tp2 VALUES (1)');
      await admin.query("PREPARE TRANSACTION 'diag-rollback'");
      await admin.query("ROLLBACK PREPARED 'diag-rollback'");
      await admin.query('BEGIN');
      await admin.query("INSERT INTO tp2 SELECT g, repeat('x', 200) FROM generate_series(10, 3009) g");
      await admin.query("PREPARE TRANSACTION 'diag-big'");
      await admin.query("COMMIT PREPARED 'diag-big'");
      const c = await openTargetSession(server.target());
      try {
        await c.query("SET logical_decoding_work_mem = '64kB'");
        const r = await peekSlot(c, 'tp2_slot', 100000, {
          protoVersion: 3,
          streaming: 'on',
          twoPhase: true,
          publications: ['tp2_pub'],
        });
        const kinds = r.rows.map((x) => x.kind).filter((k) => k !== 'relation');
        // the small transaction: prepared, then rolled back. Decoded after its rollback, it comes without its
        // change (15 and 18 alike): begin prepare, prepare, rollback prepared.
        assert.deepEqual(
          kinds.slice(0, 3),
          ['begin-prepare', 'prepare', 'rollback-prepared'],
          kinds.slice(0, 8).join(),
        );
        assert.ok(r.rows.find((x) => x.kind === 'rollback-prepared')?.text.endsWith("gid 'diag-rollback'"));
        // the large one: streamed in blocks, prepared as a stream, then committed
        const big = kinds.slice(3);
        assert.equal(big[0], 'stream-start');
        assert.equal(big.filter((k) => k === 'insert').length, 3000);
        assert.deepEqual(
          big.filter((k) => /prepare|commit/.test(k)),
          ['stream-prepare', 'commit-prepared'],
          [...new Set(big)].join(),
        );
        assert.ok(r.rows.find((x) => x.kind === 'stream-prepare')?.text.endsWith("gid 'diag-big'"));
      } finally {
        await c.end();
      }
    } finally {
      await admin.end();
    }
  });
});

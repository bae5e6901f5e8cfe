import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { peekSlot } from '../../src/core/diag/logicalPeek';
import type { PgOpsError } from '../../src/core/errors';
import { forEachServer } from '../support/servers';
import { freshDatabase } from './diagSupport';

forEachServer('diag pgoutput streaming (protocol 2)', (srv, major) => {
  let admin: Client;
  let session: Client;

  before(async () => {
    admin = await freshDatabase(srv(), 'diag_stream');
    await admin.query('CREATE TABLE big (id int PRIMARY KEY, pad text)');
    await admin.query('CREATE PUBLICATION diag_stream_pub FOR TABLE big');
    await admin.query("SELECT pg_create_logical_replication_slot('diag_stream_slot', 'pgoutput')");
    // the test servers run with synchronous_commit = off; peek reads only flushed WAL
    await admin.query('SET synchronous_commit = on');
    await admin.query("INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g");
    session = await openTargetSession(srv().target({ database: 'diag_stream' }));
  });

  after(async () => {
    await session?.end();
    await admin.query("SELECT pg_drop_replication_slot('diag_stream_slot')").catch(() => undefined);
    await admin?.end();
  });

  if (major < 14) {
    it('refuses protocol 2 before asking the server: pgoutput streams from 14 on', async () => {
      await assert.rejects(
        peekSlot(session, 'diag_stream_slot', 100, {
          protoVersion: 2,
          streaming: 'on',
          publications: ['diag_stream_pub'],
        }),
        (err: PgOpsError) =>
          err.code === 'pgoutput-option-version' &&
          err.message.endsWith(`pgoutput of PostgreSQL ${major} has no streaming (protocol 2), added in 14`),
      );
    });
    return;
  }

  it('decodes a transaction streamed in blocks: stream start/stop/commit and data messages carrying the xid', async () => {
    // A transaction larger than logical_decoding_work_mem is streamed instead of spilled when the plugin allows it.
    await session.query("SET logical_decoding_work_mem = '64kB'");
    const plain = await peekSlot(session, 'diag_stream_slot', 100000, { publications: ['diag_stream_pub'] });
    assert.ok(!plain.rows.some((x) => x.kind.startsWith('stream')), 'protocol 1 never streams');
    const r = await peekSlot(session, 'diag_stream_slot', 100000, {
      protoVersion: 2,
      streaming: 'on',
      publications: ['diag_stream_pub'],
    });
    const kinds = r.rows.map((x) => x.kind);
    assert.ok(kinds.includes('stream-start') && kinds.includes('stream-stop'), [...new Set(kinds)].join());
    assert.equal(kinds.filter((k) => k === 'stream-commit').length, 1);
    assert.equal(kinds.filter((k) => k === 'insert').length, 3000);
    const inserts = r.rows.filter((x) => x.kind === 'insert');
    assert.ok(
      inserts.every((x) => /^table public\.big: INSERT: id\[integer\]:\d+ pad\[text\]:'x+'$/.test(x.text)),
      inserts[0]?.text,
    );
    assert.equal(r.options.streaming, 'on');
    assert.equal(r.options.proto_version, '2');
  });

  it('decodes Stream Abort for a streamed subtransaction rolled back to its savepoint and for a streamed transaction rolled back', async () => {
    await admin.query('CREATE TABLE big_abort (id int PRIMARY KEY, pad text)');
    await admin.query('CREATE PUBLICATION diag_abort_pub FOR TABLE big_abort');
    await admin.query("SELECT pg_create_logical_replication_slot('diag_abort_slot', 'pgoutput')");
    try {
      await admin.query('BEGIN');
      await admin.query("INSERT INTO big_abort SELECT g, repeat('a', 200) FROM generate_series(1, 3000) g");
      await admin.query('SAVEPOINT s');
      await admin.query("INSERT INTO big_abort SELECT g, repeat('b', 200) FROM generate_series(3001, 6000) g");
      await admin.query('ROLLBACK TO SAVEPOINT s');
      await admin.query('COMMIT');
      await admin.query('BEGIN');
      await admin.query("INSERT INTO big_abort SELECT g, repeat('c', 200) FROM generate_series(10001, 13000) g");
      await admin.query('ROLLBACK');
      // an abort is never flushed by itself: a synchronous commit after it flushes the WAL the peek reads
      await admin.query('INSERT INTO big_abort VALUES (0, NULL)');

      await session.query("SET logical_decoding_work_mem = '64kB'");
      const r = await peekSlot(session, 'diag_abort_slot', 100000, {
        protoVersion: 2,
        streaming: 'on',
        publications: ['diag_abort_pub'],
      });
      const aborts = r.rows.filter((x) => x.kind === 'stream-abort');
      const texts = aborts.map((x) => x.text);
      const pairs = texts
        .map((t) => /^stream abort xid (\d+) subxact (\d+)$/.exec(t))
        .map((m) => (m ? [Number(m[1]), Number(m[2])] : []));
      assert.ok(
        pairs[0] && pairs[0][0] !== pairs[0][1],
        `the savepoint's abort names a subtransaction of the transaction: ${texts.join('\n')}`,
      );
      const rolledBack = r.rows.filter((x) => x.kind === 'insert' && /id\[integer\]:1\d{4} /.test(x.text)).length;
      if (major < 18) {
        // the rolled-back transaction was streamed block by block, then aborted as a whole: its abort names itself
        // twice. The changes still in memory when the abort was decoded are dropped, never sent.
        assert.equal(pairs.length, 2, texts.join('\n'));
        assert.ok(pairs[1][0] === pairs[1][1], texts[1]);
        assert.ok(rolledBack > 0 && rolledBack <= 3000, `${rolledBack} rows of the rolled-back transaction streamed`);
      } else {
        // PostgreSQL 18 sees that the transaction has already aborted and neither streams nor aborts it
        assert.equal(pairs.length, 1, texts.join('\n'));
        assert.equal(rolledBack, 0);
      }
      assert.equal(r.rows.filter((x) => x.kind === 'stream-commit').length, 1, 'only the first transaction commits');
    } finally {
      await admin.query("SELECT pg_drop_replication_slot('diag_abort_slot')").catch(() => undefined);
    }
  });
});

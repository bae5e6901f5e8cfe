import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openSession } from '../../src/core/conn/session';
import { peekSlot } from '../../src/core/diag/logicalPeek';
import { forEachServer } from '../support/servers';
import { freshDatabase } from './diagSupport';

forEachServer('diag pgoutput streaming (protocol 2)', (srv) => {
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
    session = await openSession(srv().target({ database: 'diag_stream' }));
  });

  after(async () => {
    await session?.end();
    await admin.query("SELECT pg_drop_replication_slot('diag_stream_slot')").catch(() => undefined);
    await admin?.end();
  });

  it('decodes a transaction streamed in blocks: stream start/stop/commit and data messages carrying the xid', async () => {
    // A transaction larger than logical_decoding_work_mem is streamed instead of spilled when the plugin allows it.
    await session.query("SET logical_decoding_work_mem = '64kB'");
    const plain = await peekSlot(session, 'diag_stream_slot', 100000, { publications: ['diag_stream_pub'] });
    assert.ok(!plain.rows.some((x) => x.kind.startsWith('stream')), 'protocol 1 never streams');
    const r = await peekSlot(session, 'diag_stream_slot', 100000, { protoVersion: 2, streaming: 'on', publications: ['diag_stream_pub'] });
    const kinds = r.rows.map((x) => x.kind);
    assert.ok(kinds.includes('stream-start') && kinds.includes('stream-stop'), [...new Set(kinds)].join());
    assert.equal(kinds.filter((k) => k === 'stream-commit').length, 1);
    assert.equal(kinds.filter((k) => k === 'insert').length, 3000);
    const inserts = r.rows.filter((x) => x.kind === 'insert');
    assert.ok(inserts.every((x) => /^table public\.big: INSERT: id\[integer\]:\d+ pad\[text\]:'x+'$/.test(x.text)), inserts[0]?.text);
    assert.equal(r.options.streaming, 'on');
    assert.equal(r.options.proto_version, '2');
  });
});

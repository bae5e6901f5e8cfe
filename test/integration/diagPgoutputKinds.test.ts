/**
 * The pgoutput messages a plain publication does not produce, each made by a real server: Type (a
 * column of a user-defined type), Message (pg_logical_emit_message, with the messages option) and
 * Origin (a transaction replayed under a replication origin). The text of each change is checked
 * against test_decoding's on a second slot over the same WAL.
 */
import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { peekSlot } from '../../src/core/diag/logicalPeek';
import type { PgOpsError } from '../../src/core/errors';
import { forEachServer } from '../support/servers';
import { freshDatabase } from './diagSupport';

forEachServer('diag pgoutput type, message and origin messages', (srv, major) => {
  let admin: Client;
  let session: Client;

  before(async () => {
    admin = await freshDatabase(srv(), 'diag_kinds');
    // the test servers run with synchronous_commit = off; peek reads only flushed WAL
    await admin.query('SET synchronous_commit = on');
    await admin.query("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    await admin.query('CREATE TABLE feelings (id int PRIMARY KEY, how mood)');
    await admin.query('CREATE PUBLICATION kinds_pub FOR TABLE feelings');
    await admin.query("SELECT pg_create_logical_replication_slot('kinds_po', 'pgoutput')");
    await admin.query("SELECT pg_create_logical_replication_slot('kinds_td', 'test_decoding')");
    await admin.query("SELECT pg_replication_origin_create('pgops_origin')");

    await admin.query("INSERT INTO feelings VALUES (1, 'happy')");
    await admin.query("SELECT pg_logical_emit_message(false, 'pgops', 'outside any transaction')");
    await admin.query('BEGIN');
    await admin.query("SELECT pg_logical_emit_message(true, 'pgops', 'inside')");
    await admin.query("INSERT INTO feelings VALUES (2, 'ok')");
    await admin.query('COMMIT');
    // a transaction applied "from elsewhere", as a subscriber's apply worker marks it
    await admin.query("SELECT pg_replication_origin_session_setup('pgops_origin')");
    await admin.query('BEGIN');
    await admin.query("SELECT pg_replication_origin_xact_setup('0/ABCDEF', now())");
    await admin.query("INSERT INTO feelings VALUES (3, 'sad')");
    await admin.query('COMMIT');
    await admin.query('SELECT pg_replication_origin_session_reset()');
    session = await openTargetSession(srv().target({ database: 'diag_kinds' }));
  });

  after(async () => {
    await session?.end();
    await admin
      .query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'kinds\\_%'")
      .catch(() => undefined);
    await admin.query("SELECT pg_replication_origin_drop('pgops_origin')").catch(() => undefined);
    await admin?.end();
  });

  it('sends a Type message for the enum column and prints its values as test_decoding does', async () => {
    const r = await peekSlot(session, 'kinds_po', 1000, { publications: ['kinds_pub'] });
    const type = r.rows.find((x) => x.kind === 'type');
    assert.ok(type, r.rows.map((x) => x.kind).join());
    assert.match(type.text, /^type public\.mood \(oid \d+\)$/);
    const td = await peekSlot(session, 'kinds_td', 1000);
    const inserts = (rows: { kind: string; text: string }[]) =>
      rows.filter((x) => x.kind === 'insert').map((x) => x.text);
    assert.deepEqual(inserts(r.rows), inserts(td.rows));
    // the session pins search_path to pg_catalog, so the type is named with its schema (as test_decoding does in it)
    assert.deepEqual(inserts(r.rows), [
      "table public.feelings: INSERT: id[integer]:1 how[public.mood]:'happy'",
      "table public.feelings: INSERT: id[integer]:2 how[public.mood]:'ok'",
      "table public.feelings: INSERT: id[integer]:3 how[public.mood]:'sad'",
    ]);
  });

  it('decodes logical messages, transactional and not, when asked to (messages = on; 14+)', async () => {
    if (major < 14) {
      await assert.rejects(
        peekSlot(session, 'kinds_po', 1000, { publications: ['kinds_pub'], messages: true }),
        (err: PgOpsError) =>
          err.code === 'pgoutput-option-version' &&
          err.message.endsWith('pgoutput of PostgreSQL 13 has no messages, added in 14'),
      );
      return;
    }
    const without = await peekSlot(session, 'kinds_po', 1000, { publications: ['kinds_pub'] });
    assert.ok(!without.rows.some((x) => x.kind === 'message'), 'pgoutput sends messages only with messages = on');
    const r = await peekSlot(session, 'kinds_po', 1000, {
      publications: ['kinds_pub'],
      protoVersion: 1,
      messages: true,
    });
    assert.equal(r.options.messages, 'on');
    const td = await peekSlot(session, 'kinds_td', 1000);
    const messages = (rows: { kind: string; text: string }[]) =>
      rows.filter((x) => x.kind === 'message').map((x) => x.text);
    assert.deepEqual(messages(r.rows), [
      'message: transactional: 0 prefix: pgops, sz: 23 content:outside any transaction',
      'message: transactional: 1 prefix: pgops, sz: 6 content:inside',
    ]);
    assert.deepEqual(messages(r.rows), messages(td.rows));
  });

  it("sends an Origin message with the origin's name and LSN for a transaction applied under it", async () => {
    const r = await peekSlot(session, 'kinds_po', 1000, { publications: ['kinds_pub'] });
    const origins = r.rows.filter((x) => x.kind === 'origin');
    assert.deepEqual(
      origins.map((x) => x.text),
      ['origin pgops_origin at 0/ABCDEF'],
    );
    // it belongs to the transaction of row 3, right after its BEGIN
    const at = r.rows.indexOf(origins[0]);
    assert.equal(r.rows[at - 1].kind, 'begin');
    assert.ok(
      r.rows
        .slice(at)
        .find((x) => x.kind === 'insert')
        ?.text.includes('id[integer]:3'),
    );
  });
});

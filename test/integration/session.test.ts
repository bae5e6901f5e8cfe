import * as assert from 'node:assert/strict';
import { openTargetSession } from '../../src/core/conn/open';
import { serverVersionNum } from '../../src/core/conn/session';
import { PgOpsError } from '../../src/core/errors';
import { forEachServer } from '../support/servers';

forEachServer('diagnostic sessions', (srv, major) => {
  it('connects over TCP with SCRAM and reports the server version', async () => {
    const c = await openTargetSession(srv().target());
    try {
      assert.equal(Math.floor((await serverVersionNum(c)) / 10000), major);
    } finally {
      await c.end();
    }
  });

  it('is read-only with statement and lock timeouts, and names itself', async () => {
    const c = await openTargetSession(srv().target(), {
      applicationName: 'pgops test',
      statementTimeoutMs: 1234,
      lockTimeoutMs: 567,
      readOnly: true,
    });
    try {
      const r = await c.query(
        "SELECT current_setting('statement_timeout') st, current_setting('lock_timeout') lt, " +
          "current_setting('default_transaction_read_only') ro, current_setting('application_name') app",
      );
      assert.deepEqual(r.rows[0], { st: '1234ms', lt: '567ms', ro: 'on', app: 'pgops test' });
      await assert.rejects(c.query('CREATE TABLE should_fail (id int)'), /read-only transaction/);
      await assert.rejects(c.query('SELECT pg_sleep(3)'), /statement timeout/);
    } finally {
      await c.end();
    }
  });

  it('survives its server ending it while idle: no crash, and the next query says the session is gone', async () => {
    // no 'error' listener of the test's own: an idle session's lost connection must not become an uncaught error
    const c = await openTargetSession(srv().target());
    const pid = (await c.query<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid')).rows[0].pid;
    const admin = await srv().admin();
    try {
      await admin.query('SELECT pg_catalog.pg_terminate_backend($1)', [pid]);
      const deadline = Date.now() + 30_000;
      while ((await admin.query('SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = $1', [pid])).rowCount) {
        assert.ok(Date.now() < deadline, 'the backend ended');
        await new Promise((r) => setTimeout(r, 50));
      }
      await assert.rejects(c.query('SELECT 1'));
    } finally {
      await admin.end();
      await c.end().catch(() => undefined);
    }
  });

  it('names the target and gives a hint when the password is wrong', async () => {
    await assert.rejects(
      openTargetSession(srv().target({ password: 'wrong-password' })),
      (e: unknown) =>
        PgOpsError.is(e, 'conn-auth') &&
        e.message.includes(`127.0.0.1:${srv().port}`) &&
        !e.message.includes('wrong-password') &&
        !!e.hint,
    );
  });

  it('says no server answers on a closed port', async () => {
    await assert.rejects(openTargetSession(srv().target({ port: 1 })), (e: unknown) =>
      PgOpsError.is(e, 'conn-refused'),
    );
  });
});

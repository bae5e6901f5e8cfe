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

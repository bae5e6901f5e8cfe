import * as assert from 'node:assert/strict';
import { connectResolved } from '../../src/core/conn/connect';
import { SessionPool } from '../../src/core/conn/pool';
import { resolveConnection } from '../../src/core/conn/resolve';
import { PgOpsError } from '../../src/core/errors';
import { stopServer } from '../../src/core/sandbox/pgServer';
import type { TestServer } from '../support/servers';
import { serverMatrix, startTestServer } from '../support/servers';
import { isolatedContext } from './connSupport';

for (const binaries of serverMatrix()) {
  describe(`conn: session pool survives a server restart [PostgreSQL ${binaries.major}]`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let pool: SessionPool;

    before(async () => {
      server = await startTestServer(binaries);
    });

    after(async () => {
      await pool?.close();
      await server?.stop();
    });

    const open = () =>
      connectResolved(
        resolveConnection(
          `host=${server.socketDir} port=${server.port} user=postgres dbname=postgres`,
          isolatedContext(),
        ),
      );

    it('reconnects after a restart: the query that meets the dropped session runs again on a new one', async () => {
      pool = new SessionPool(open, 2);
      const before = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      assert.equal(pool.info?.host.port, server.port);
      await server.restart();
      const after = (
        await pool.query<{ pid: number; ro: string }>(
          "SELECT pg_backend_pid() AS pid, current_setting('default_transaction_read_only') AS ro",
        )
      ).rows[0];
      assert.notEqual(after.pid, before);
      assert.equal(after.ro, 'on', 'the new session is a safe diagnostic session too');
    });

    it('keeps at most the configured number of sessions and queues the rest', async () => {
      const counts = await Promise.all(
        [1, 2, 3, 4, 5].map(() => pool.query('SELECT pg_sleep(0.1)').then(() => pool.size)),
      );
      assert.ok(
        counts.every((n) => n <= 2),
        `sizes seen: ${counts.join(',')}`,
      );
      const backends = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pgops'",
      );
      assert.ok(Number(backends.rows[0].n) <= 2);
    });

    it('while the server is down a query fails with a clear error, and works again once it is back', async () => {
      await stopServer(server.layout.dataDir);
      await assert.rejects(
        pool.query('SELECT 1'),
        (e: unknown) => PgOpsError.is(e, 'conn-refused') && e.message.includes(server.socketDir),
      );
      await server.restart();
      assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
    });
  });
}

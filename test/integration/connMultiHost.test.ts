import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connected, ConnectOptions } from '../../src/core/conn/connect';
import { connectResolved } from '../../src/core/conn/connect';
import { resolveConnection } from '../../src/core/conn/resolve';
import { PgOpsError } from '../../src/core/errors';
import type { TestServer } from '../support/servers';
import { serverMatrix, startTestServer } from '../support/servers';
import type { Standby } from './connSupport';
import { blackhole, isolatedContext, startStandby } from './connSupport';

for (const binaries of serverMatrix()) {
  describe(`conn: multi-host and target_session_attrs with a real primary and hot standby [PostgreSQL ${binaries.major}]`, function () {
    this.timeout(120_000);
    let primary: TestServer;
    let standby: Standby;
    let ctx: ReturnType<typeof isolatedContext>;

    before(async () => {
      primary = await startTestServer(binaries);
      standby = await startStandby(primary);
      ctx = isolatedContext();
      // One pgpass line serves both: the standby is a copy of the primary, with the same password.
      const pgpass = path.join(ctx.home, '.pgpass');
      fs.writeFileSync(pgpass, `127.0.0.1:*:*:postgres:${primary.password.replace(/[:\\]/g, '\\$&')}\n`, {
        mode: 0o600,
      });
    });

    after(async () => {
      await standby?.stop();
      await primary?.stop();
      if (ctx) fs.rmSync(ctx.home, { recursive: true, force: true });
    });

    async function connect(conninfo: string, opts: ConnectOptions = {}): Promise<Connected> {
      return connectResolved(resolveConnection(conninfo, ctx), opts);
    }

    async function landedOn(conninfo: string, opts: ConnectOptions = {}): Promise<'primary' | 'standby'> {
      const c = await connect(conninfo, opts);
      try {
        const inRecovery = (await c.client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r;
        assert.equal(c.info.host.port, inRecovery ? standby.port : primary.port, 'info names the host we are on');
        return inRecovery ? 'standby' : 'primary';
      } finally {
        await c.client.end();
      }
    }

    const both = (first: 'p' | 's', tsa: string) => {
      const ports = first === 'p' ? `${primary.port},${standby.port}` : `${standby.port},${primary.port}`;
      return `host=127.0.0.1,127.0.0.1 port=${ports} user=postgres dbname=postgres sslmode=disable target_session_attrs=${tsa}`;
    };

    it('read-write skips the standby listed first and lands on the primary', async () => {
      assert.equal(await landedOn(both('s', 'read-write')), 'primary');
    });

    it('read-only, standby and prefer-standby pick the standby even when the primary is listed first', async () => {
      assert.equal(await landedOn(both('p', 'read-only')), 'standby');
      assert.equal(await landedOn(both('p', 'standby')), 'standby');
      assert.equal(await landedOn(both('p', 'prefer-standby')), 'standby');
    });

    it('primary skips the standby; any takes the first host', async () => {
      assert.equal(await landedOn(both('s', 'primary')), 'primary');
      assert.equal(await landedOn(both('s', 'any')), 'standby');
      assert.equal(await landedOn(both('p', 'any')), 'primary');
    });

    it('prefer-standby falls back to the primary when no standby is listed', async () => {
      assert.equal(
        await landedOn(
          `host=127.0.0.1 port=${primary.port} user=postgres dbname=postgres sslmode=disable target_session_attrs=prefer-standby`,
        ),
        'primary',
      );
    });

    it('the same works from a multi-host URI', async () => {
      assert.equal(
        await landedOn(
          `postgresql://postgres@127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres?target_session_attrs=read-write&sslmode=disable`,
        ),
        'primary',
      );
    });

    it('keeps the diagnostic session read-only after choosing the writable server', async () => {
      const c = await connect(both('s', 'read-write'));
      try {
        const r = await c.client.query(
          "SELECT current_setting('default_transaction_read_only') AS ro, pg_is_in_recovery() AS rec",
        );
        assert.deepEqual(r.rows[0], { ro: 'on', rec: false });
        await assert.rejects(c.client.query('CREATE TABLE must_not_exist (id int)'), /read-only transaction/);
      } finally {
        await c.client.end();
      }
    });

    it('says which hosts it tried when none has the requested session type', async () => {
      await assert.rejects(
        connect(
          `host=127.0.0.1 port=${primary.port} user=postgres dbname=postgres sslmode=disable target_session_attrs=standby`,
        ),
        (e: unknown) =>
          PgOpsError.is(e, 'conn-session-type') &&
          e.message.includes(`127.0.0.1:${primary.port}`) &&
          /not in hot standby/.test(e.message),
      );
    });

    it('with sslmode=prefer a server without TLS is the step to the plain attempt, not the failure it reports', async () => {
      await assert.rejects(
        connect(
          `host=127.0.0.1,127.0.0.1 port=1,${primary.port} user=postgres dbname=postgres sslmode=prefer target_session_attrs=standby`,
        ),
        (e: unknown) =>
          PgOpsError.is(e, 'conn-session-type') &&
          /not in hot standby/.test(e.message) &&
          !/does not support SSL/.test(e.message),
      );
    });

    it('skips a host that refuses connections', async () => {
      assert.equal(
        await landedOn(`host=127.0.0.1,127.0.0.1 port=1,${primary.port} user=postgres dbname=postgres sslmode=disable`),
        'primary',
      );
    });

    it('applies connect_timeout to each attempt: a silent host costs about two seconds, then the next host answers', async () => {
      const hole = await blackhole();
      try {
        const t0 = Date.now();
        assert.equal(
          await landedOn(
            `host=127.0.0.1,127.0.0.1 port=${hole.port},${primary.port} user=postgres dbname=postgres sslmode=disable connect_timeout=2`,
          ),
          'primary',
        );
        const elapsed = Date.now() - t0;
        assert.ok(elapsed >= 1900 && elapsed < 8000, `took ${elapsed} ms`);
        const t1 = Date.now();
        await assert.rejects(
          connect(`host=127.0.0.1 port=${hole.port} user=postgres dbname=postgres sslmode=disable connect_timeout=2`),
          (e: unknown) => PgOpsError.is(e, 'conn-refused') && /timeout/.test(e.message),
        );
        assert.ok(Date.now() - t1 < 6000);
      } finally {
        await hole.close();
      }
    });

    it('load_balance_hosts=random shuffles the host order (seeded here)', async () => {
      const tsa = `host=127.0.0.1,127.0.0.1 port=${primary.port},${standby.port} user=postgres dbname=postgres sslmode=disable load_balance_hosts=random`;
      assert.equal(await landedOn(tsa, { random: () => 0 }), 'standby');
      assert.equal(await landedOn(tsa, { random: () => 0.99 }), 'primary');
      assert.equal(await landedOn(tsa.replace(' load_balance_hosts=random', ''), { random: () => 0 }), 'primary');
    });
  });
}

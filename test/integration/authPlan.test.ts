/**
 * The auth plan of a real session: how the server saw it (address, TLS, the login role's memberships
 * through nested grants) and the pg_hba line the server's own pg_hba_file_rules give for it.
 */
import * as assert from 'node:assert/strict';
import { readServerHbaRules } from '../../src/core/auth/hba';
import { authPlanFor, readServerSideFacts } from '../../src/core/conn/authPlanFor';
import { resolveConnection } from '../../src/core/conn/resolve';
import { openTargetSession } from '../../src/core/conn/open';
import { forEachServer } from '../support/servers';

forEachServer('auth plan of a real session', (srv) => {
  const role = 'plan_member';
  const password = 'Plan-Member-Pw-1';

  before(async () => {
    const admin = await srv().admin();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${role}; DROP ROLE IF EXISTS plan_inner; DROP ROLE IF EXISTS plan_outer`);
      await admin.query('CREATE ROLE plan_outer NOLOGIN; CREATE ROLE plan_inner NOLOGIN IN ROLE plan_outer');
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE plan_inner`);
    } finally {
      await admin.end();
    }
  });

  after(async () => {
    const admin = await srv().admin();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${role}; DROP ROLE IF EXISTS plan_inner; DROP ROLE IF EXISTS plan_outer`);
    } finally {
      await admin.end();
    }
  });

  it('reads the address, TLS and nested memberships the server sees, and names the line it used', async () => {
    const session = await openTargetSession(srv().target({ user: role, password }));
    let facts;
    try {
      facts = await readServerSideFacts(session);
    } finally {
      await session.end();
    }
    assert.deepEqual(facts, { clientAddress: '127.0.0.1', ssl: false, memberOf: ['plan_inner', 'plan_outer'] });

    const admin = await srv().admin();
    try {
      const server = await readServerHbaRules(admin, 'test');
      // initdb's "host all all 127.0.0.1/32 scram-sha-256", as the server itself lists it.
      const used = await admin.query<{ line_number: number }>(
        "SELECT line_number FROM pg_hba_file_rules WHERE type = 'host' AND database = ARRAY['all'] AND address = '127.0.0.1' ORDER BY line_number LIMIT 1",
      );
      const r = resolveConnection({
        host: '127.0.0.1',
        port: String(srv().port),
        user: role,
        dbname: 'postgres',
        sslmode: 'disable',
      });
      const plan = authPlanFor(
        r,
        { rules: server.rules, description: server.source.description },
        { credentialLabel: 'Secret Storage', facts },
      );
      assert.equal(plan.rule?.line, used.rows[0].line_number);
      assert.equal(plan.method, 'scram-sha-256');
      assert.equal(plan.canSucceed, true);
      assert.match(plan.plan, /password from Secret Storage/);
      assert.deepEqual(plan.attempt, {
        user: role,
        database: 'postgres',
        connection: 'host',
        memberOf: ['plan_inner', 'plan_outer'],
        ssl: false,
        address: '127.0.0.1',
      });
    } finally {
      await admin.end();
    }
  });
});

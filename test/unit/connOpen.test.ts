/**
 * The one session opener (core/conn/open.ts) and its inputs: a profile that does not resolve is an error
 * naming the profile; every failure of openSession, whichever route (profile, CLI flags, a bench target),
 * comes out of the one classifier with its code, the endpoint and a hint. The "servers" are a closed port
 * and the password trap (test/support/passwordTrap.ts): no PostgreSQL is needed to refuse.
 */
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { openSession, openTargetSession } from '../../src/core/conn/open';
import type { ConnectionProfile } from '../../src/core/conn/profile';
import { resolveProfile } from '../../src/core/conn/profile';
import type { ResolveContext } from '../../src/core/conn/resolve';
import { resolveConnection } from '../../src/core/conn/resolve';
import { cliConnParams, namesConnection, resolveCliConnection } from '../../src/core/conn/resolveTarget';
import { PgOpsError } from '../../src/core/errors';
import type { PasswordTrap } from '../support/passwordTrap';
import { startPasswordTrap } from '../support/passwordTrap';

const ctx: ResolveContext = {
  env: {},
  homeDir: '/nonexistent',
  osUser: 'me',
  defaultSocketDir: '/nonexistent-socket-dir',
  sysconfDir: '/nonexistent',
};

const profile = (fields: Partial<ConnectionProfile>): ConnectionProfile => ({ id: 'p1', name: 'Orders DB', ...fields });

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('conn: resolveProfile', () => {
  it('resolves a profile like libpq: its fields over its conninfo, defaults for the rest', () => {
    const r = resolveProfile(profile({ conninfo: 'host=db1 port=5433 dbname=orders', user: 'app' }), {}, ctx);
    assert.deepEqual(
      r.hosts.map((h) => `${h.host}:${h.port}`),
      ['db1:5433'],
    );
    assert.equal(r.user, 'app');
    assert.equal(r.dbname, 'orders');
  });

  it('names the profile when its conninfo does not parse, keeping the parser hint', () => {
    assert.throws(
      () => resolveProfile(profile({ conninfo: "host='db1" }), {}, ctx),
      (e: unknown) =>
        PgOpsError.is(e, 'profile-resolve') &&
        e.message.startsWith('Connection "Orders DB" does not resolve:') &&
        /unterminated quoted string/.test(e.message) &&
        /quote/.test(e.hint ?? ''),
    );
  });

  it('names the profile when its service is in no service file, instead of falling back to defaults', () => {
    assert.throws(
      () => resolveProfile(profile({ conninfo: 'service=nowhere' }), {}, ctx),
      (e: unknown) => PgOpsError.is(e, 'profile-resolve') && /"Orders DB".*nowhere/.test(e.message) && !!e.hint,
    );
  });
});

describe('conn: CLI connection flags, read as psql reads -h -p -U -d', () => {
  it('fills host, port, user and dbname from the flags', () => {
    const r = resolveCliConnection({ host: '127.0.0.1', port: '6543', username: 'ann', dbname: 'sales' }, {});
    assert.deepEqual([r.hosts[0].host, r.hosts[0].port, r.user, r.dbname], ['127.0.0.1', 6543, 'ann', 'sales']);
  });

  it('lets a keyword written in --conn win over a flag, as psql lets its conninfo argument win', () => {
    assert.deepEqual(cliConnParams({ host: 'a', port: '1111', conn: 'host=b dbname=x' }), {
      host: 'b',
      port: '1111',
      dbname: 'x',
    });
  });

  it('reads -d as psql does: a conninfo or URI there is the connection string', () => {
    assert.deepEqual(cliConnParams({ dbname: 'postgresql://u@h:7/d', host: 'ignored' }), {
      host: 'h',
      port: '7',
      user: 'u',
      dbname: 'd',
    });
    assert.throws(
      () => cliConnParams({ dbname: 'host=h', conn: 'host=g' }),
      (e: unknown) => PgOpsError.is(e, 'conn-twice') && !!e.hint,
    );
  });

  it('knows when neither the flags nor PG* variables name a connection', () => {
    assert.equal(namesConnection({}, {}), false);
    assert.equal(namesConnection({}, { PGPASSWORD: 'x', PGSSLMODE: 'require' }), false);
    assert.equal(namesConnection({}, { PGSERVICE: 'reporting' }), true);
    assert.equal(namesConnection({}, { PGHOST: '/tmp' }), true);
    assert.equal(namesConnection({ username: 'ann' }, {}), true);
  });

  it('names the flag when a port is not a number', () => {
    assert.throws(
      () => resolveCliConnection({ port: 'abc' }, {}),
      (e: unknown) => PgOpsError.is(e, 'conninfo'),
    );
  });
});

describe('conn: openSession classifies every failure the same way', () => {
  let trap: PasswordTrap;
  before(async () => {
    trap = await startPasswordTrap('127.0.0.1');
  });
  after(async () => {
    await trap.close();
  });

  it('no server on the port: conn-refused, naming the endpoint', async () => {
    const port = await closedPort();
    const r = resolveConnection(`host=127.0.0.1 port=${port} user=u dbname=d sslmode=disable`, ctx);
    await assert.rejects(
      openSession(r),
      (e: unknown) => PgOpsError.is(e, 'conn-refused') && e.message.includes(`127.0.0.1:${port}`) && !!e.hint,
    );
  });

  it('a password asked for and none supplied: conn-no-password, nothing sent', async () => {
    const r = resolveConnection(`host=127.0.0.1 port=${trap.port} user=u dbname=d sslmode=disable`, ctx);
    const before = trap.visits.length;
    await assert.rejects(openSession(r), (e: unknown) => PgOpsError.is(e, 'conn-no-password') && !!e.hint);
    assert.ok(trap.visits.slice(before).every((v) => v.password === undefined));
  });

  it('a refused password: conn-auth naming its source and not the password, with pg_hba advice when rules are at hand', async () => {
    const r = resolveConnection(`host=127.0.0.1 port=${trap.port} user=u dbname=d sslmode=disable`, ctx);
    const rules = () =>
      Promise.resolve({
        rules: [],
        description: 'no rules at all',
      });
    await assert.rejects(
      openSession(r, {
        credential: { label: 'Secret Storage', get: () => Promise.resolve('hunter2') },
        hbaRules: rules,
      }),
      (e: unknown) =>
        PgOpsError.is(e, 'conn-auth') &&
        e.message.includes('password from Secret Storage') &&
        e.message.includes('no rules at all') &&
        !e.message.includes('hunter2') &&
        !!e.hint,
    );
  });

  it('bench targets take the same route: a refused password is conn-auth, a closed port conn-refused', async () => {
    const target = { host: '127.0.0.1', port: trap.port, user: 'u', database: 'd', password: 'hunter2' };
    await assert.rejects(openTargetSession(target), (e: unknown) => PgOpsError.is(e, 'conn-auth'));
    const port = await closedPort();
    await assert.rejects(openTargetSession({ ...target, port }), (e: unknown) => PgOpsError.is(e, 'conn-refused'));
  });

  it('refuses to reopen a target with TLS options from its fields (its certificate checks would be lost)', async () => {
    const target = { host: '127.0.0.1', port: trap.port, user: 'u', database: 'd', ssl: { rejectUnauthorized: true } };
    await assert.rejects(openTargetSession(target), (e: unknown) => PgOpsError.is(e, 'conn-target-tls') && !!e.hint);
  });
});

/**
 * With no password from any source, pgops behaves as libpq ("no password supplied"): nothing goes to the
 * server, not even an empty password message, and the error lets the extension ask the user. The server
 * is a listener that asks for a cleartext password and records what arrives (test/support/passwordTrap.ts).
 */
import * as assert from 'node:assert/strict';
import { connectResolved } from '../../src/core/conn/connect';
import { resolveConnection } from '../../src/core/conn/resolve';
import { PgOpsError } from '../../src/core/errors';
import type { PasswordTrap } from '../support/passwordTrap';
import { startPasswordTrap } from '../support/passwordTrap';

describe('conn: a server that asks for a password nobody supplied', () => {
  let trap: PasswordTrap;
  before(async () => {
    trap = await startPasswordTrap('127.0.0.1');
  });
  after(async () => {
    await trap.close();
  });

  it('gets no password message, and the error is conn-no-password', async () => {
    const r = resolveConnection(
      `host=127.0.0.1 port=${trap.port} user=app dbname=app sslmode=disable connect_timeout=5`,
      { env: {}, homeDir: '/nonexistent', osUser: 'u', defaultSocketDir: '/tmp', sysconfDir: '/nonexistent' },
    );
    await assert.rejects(
      connectResolved(r, { credential: { label: 'Secret Storage', get: () => Promise.resolve(undefined) } }),
      (e: unknown) => PgOpsError.is(e, 'conn-no-password'),
    );
    assert.equal(trap.visits.length, 1);
    assert.equal(trap.visits[0].user, 'app');
    assert.equal(trap.visits[0].password, undefined, 'no password message, not even an empty one');
  });
});

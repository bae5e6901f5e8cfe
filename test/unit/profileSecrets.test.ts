/**
 * Secrets bound to where they may go (core/conn/secretBinding.ts, profileSecrets.ts): stored under an id
 * pgops makes, handed only to a profile that points at the same user, hosts and ports. The stores are
 * in-memory stand-ins for VS Code's SecretStorage and globalState (the vscode tier uses the real ones).
 */
import * as assert from 'node:assert/strict';
import type { ConnectionProfile } from '../../src/core/conn/profile';
import { bindingsStateKey, ProfileSecrets } from '../../src/core/conn/profileSecrets';
import type { ResolveContext } from '../../src/core/conn/resolve';
import { resolveConnection } from '../../src/core/conn/resolve';
import type { SecretBindings } from '../../src/core/conn/secretBinding';
import { profileSecretTarget, sameTarget, secretTargetOf } from '../../src/core/conn/secretBinding';
import type { Logger } from '../../src/core/log';
import { silentLogger } from '../../src/core/log';
import { mapSecretStore } from '../support/mapSecretStore';

const ctx: ResolveContext = {
  env: {},
  homeDir: '/home/u',
  osUser: 'u',
  defaultSocketDir: '/run/postgresql',
  sysconfDir: '/etc/postgresql-common',
};
const target = (conninfo: string) => secretTargetOf(resolveConnection(conninfo, ctx));

function harness() {
  const secrets = new Map<string, string>();
  const state = new Map<string, unknown>();
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  let n = 0;
  const store = new ProfileSecrets(
    mapSecretStore(secrets),
    {
      get: <T>(k: string) => state.get(k) as T | undefined,
      update: (k, v) => {
        state.set(k, v);
        return Promise.resolve();
      },
    },
    logger,
    (p) => profileSecretTarget(p, ctx),
    () => `id${++n}`,
  );
  return { store, secrets, warnings, bindings: () => (state.get(bindingsStateKey) ?? {}) as SecretBindings };
}

const profile = (conninfo: string, extra: Partial<ConnectionProfile> = {}): ConnectionProfile => ({
  id: 'settings:prod',
  name: 'prod',
  conninfo,
  origin: 'user',
  ...extra,
});

describe('secret targets (user, hosts, ports)', () => {
  it('binds every endpoint libpq would try, in any order, and host names without case', () => {
    const t = target('postgresql://app@DB1.example.com:5432,db2.example.com:5433/app');
    assert.deepEqual(t, { user: 'app', endpoints: ['db1.example.com:5432', 'db2.example.com:5433'] });
    assert.ok(
      sameTarget(t, target('host=db2.example.com,db1.example.com port=5433,5432 user=app dbname=other')),
      'dbname and order do not matter',
    );
  });

  it('tells apart another host, port, user, hostaddr or socket directory', () => {
    const base = target('host=db port=5432 user=app');
    for (const other of [
      'host=evil port=5432 user=app',
      'host=db port=5433 user=app',
      'host=db port=5432 user=admin',
      'host=db hostaddr=10.0.0.9 port=5432 user=app',
      'host=db,evil port=5432 user=app',
    ]) {
      assert.ok(!sameTarget(base, target(other)), other);
    }
    assert.ok(
      !sameTarget(target('host=/run/postgresql user=app'), target('host=/RUN/postgresql user=app')),
      'socket paths keep their case',
    );
  });

  it('includes what the PG* environment adds, as libpq resolves it', () => {
    const t = profileSecretTarget(
      { id: 'x', name: 'x', conninfo: 'dbname=app' },
      { ...ctx, env: { PGHOST: 'db', PGPORT: '6432', PGUSER: 'app' } },
    );
    assert.deepEqual(t, { user: 'app', endpoints: ['db:6432'] });
  });
});

describe('profile secrets bound to their target', () => {
  it('stores a secret under an id of its own, never the profile id, and hands it back to the same target', async () => {
    const h = harness();
    const p = profile('host=db port=5432 user=app');
    await h.store.set(p, 's3cret');
    assert.deepEqual([...h.secrets.keys()], ['pgops.password@id1']);
    assert.deepEqual(h.bindings(), { 'settings:prod': [{ secretId: 'id1', user: 'app', endpoints: ['db:5432'] }] });
    assert.equal(await h.store.get(p), 's3cret');
    assert.equal(
      await h.store.get({ ...p, name: 'renamed in place', conninfo: 'host=db port=5432 user=app dbname=other' }),
      's3cret',
    );
  });

  it('refuses a profile with the same id that points elsewhere, and logs why without the secret', async () => {
    const h = harness();
    await h.store.set(profile('host=db port=5432 user=app'), 's3cret');
    const theirs = profile('host=evil.example port=5432 user=app', { origin: 'workspace' });
    assert.equal(await h.store.get(theirs), undefined);
    assert.equal(await h.store.has(theirs), false);
    assert.equal(await h.store.credential(theirs).get(), undefined);
    assert.equal(h.warnings.length, 1, 'logged once');
    assert.ok(
      h.warnings[0].startsWith(
        'prod: the password in Secret Storage was saved for app@db:5432; ' +
          'not sent to app@evil.example:5432, where the profile points now (a profile from workspace settings)',
      ),
      h.warnings[0],
    );
    assert.ok(!h.warnings.join('\n').includes('s3cret'));
    assert.equal(await h.store.get(profile('host=db port=5432 user=app')), 's3cret', "the user's own profile keeps it");
  });

  it('keeps one secret per target: setting one for another host does not replace the first', async () => {
    const h = harness();
    const mine = profile('host=db port=5432 user=app');
    const theirs = profile('host=evil port=5432 user=app', { origin: 'workspace' });
    await h.store.set(mine, 'mine');
    await h.store.set(theirs, 'typed for evil');
    assert.equal(await h.store.get(mine), 'mine');
    assert.equal(await h.store.get(theirs), 'typed for evil');
    await h.store.deleteAll(theirs);
    assert.equal(await h.store.get(mine), 'mine', 'removing the other profile leaves the first');
  });

  it('copies to a renamed or duplicated profile for the same target, and moves on request', async () => {
    const h = harness();
    const p = profile('host=db user=app');
    await h.store.set(p, 'pw');
    await h.store.set(p, 'client-secret', 'oauthClientSecret');
    const copy = { ...p, id: 'settings:prod (copy)', name: 'prod (copy)' };
    await h.store.copy(p, copy);
    assert.equal(await h.store.get(copy), 'pw');
    assert.equal(await h.store.get(copy, 'oauthClientSecret'), 'client-secret');
    const renamed = { ...p, id: 'settings:renamed', name: 'renamed' };
    await h.store.copy(p, renamed, true);
    assert.equal(await h.store.get(renamed), 'pw');
    assert.equal(await h.store.has(p), false, 'moved away from the old id');
    assert.equal(h.bindings()['settings:prod'], undefined);
  });

  it('counts a profile with only its Patroni REST credentials as having secrets, which a rename then moves', async () => {
    const h = harness();
    const p = profile('host=db user=app');
    assert.equal(await h.store.hasAny(p), false);
    await h.store.set(p, '{"username":"patroni","password":"rest-pw"}', 'patroniRest');
    assert.equal(await h.store.has(p), false, 'no password');
    assert.equal(await h.store.hasAny(p), true);
    const renamed = { ...p, id: 'settings:renamed', name: 'renamed' };
    await h.store.copy(p, renamed, true);
    assert.equal(await h.store.get(renamed, 'patroniRest'), '{"username":"patroni","password":"rest-pw"}');
    assert.equal(await h.store.hasAny(p), false, 'moved away from the old id');
  });

  it('moves a secret to a new host only through copy (what Edit Connection does after asking)', async () => {
    const h = harness();
    const before = profile('host=old-db user=app');
    const after = profile('host=new-db user=app');
    await h.store.set(before, 'pw');
    assert.ok(h.store.targetChanged(before, after));
    assert.equal(h.store.where(after), 'app@new-db:5432');
    assert.equal(await h.store.get(after), undefined);
    await h.store.copy(before, after, true);
    assert.equal(await h.store.get(after), 'pw');
    assert.equal(await h.store.get(before), undefined);
    assert.deepEqual(
      h.bindings()['settings:prod'].map((b) => b.endpoints),
      [['new-db:5432']],
    );
  });

  it('deletes a kind, and the binding with its last secret', async () => {
    const h = harness();
    const p = profile('host=db user=app');
    await h.store.set(p, 'pw');
    await h.store.set(p, 'cs', 'oauthClientSecret');
    await h.store.delete(p);
    assert.equal(await h.store.has(p), false);
    assert.equal(await h.store.has(p, 'oauthClientSecret'), true);
    await h.store.delete(p, 'oauthClientSecret');
    assert.deepEqual(h.bindings(), {});
    assert.equal(h.secrets.size, 0);
  });

  it('finds nothing for a profile that does not resolve, and says so', async () => {
    const h = harness();
    const broken = profile('host=a,b port=1,2,3 user=app');
    assert.equal(await h.store.get(broken), undefined);
    assert.match(
      h.warnings[0],
      /^prod: no secret is looked up: Connection "prod" does not resolve: could not match 3 port numbers to 2 hosts/,
    );
    await assert.rejects(h.store.set(broken, 'pw'), /could not match 3 port numbers/);
  });
});

describe('secrets of an earlier pgops, stored under the profile id', () => {
  it('move to a binding on first use by a profile from user settings', async () => {
    const h = harness();
    h.secrets.set('pgops.password/settings:prod', 'old-pw');
    h.secrets.set('pgops.oauthClientSecret/settings:prod', 'old-cs');
    const p = profile('host=db user=app');
    assert.equal(await h.store.get(p), 'old-pw');
    assert.equal(await h.store.get(p, 'oauthClientSecret'), 'old-cs');
    assert.deepEqual([...h.secrets.keys()].sort(), ['pgops.oauthClientSecret@id1', 'pgops.password@id1']);
    assert.deepEqual(h.bindings()['settings:prod'], [{ secretId: 'id1', user: 'app', endpoints: ['db:5432'] }]);
  });

  it('are not used by a profile from workspace settings, and stay for the user profile of that id', async () => {
    const h = harness();
    h.secrets.set('pgops.password/settings:prod', 'old-pw');
    const theirs = profile('host=evil user=app', { origin: 'workspace' });
    assert.equal(await h.store.get(theirs), undefined);
    assert.match(
      h.warnings[0],
      /^prod: a secret that an earlier pgops stored under this profile's id is not used \(a profile from workspace settings\)/,
    );
    assert.equal(h.secrets.get('pgops.password/settings:prod'), 'old-pw', 'left in place');
    assert.equal(await h.store.get(profile('host=db user=app')), 'old-pw', 'the user profile still migrates it');
  });

  it('are not used by a profile whose origin is unknown', async () => {
    const h = harness();
    h.secrets.set('pgops.password/x', 'old-pw');
    assert.equal(await h.store.get({ id: 'x', name: 'x', conninfo: 'host=db' }), undefined);
  });
});

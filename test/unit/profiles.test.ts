import * as assert from 'node:assert/strict';
import { parseProfiles, profileTarget } from '../../src/core/conn/profile';
import type { ResolveContext } from '../../src/core/conn/resolve';
import { PgOpsError } from '../../src/core/errors';

/** A machine with no service or password files, whose OS user is not the one running the test. */
const context = (env: NodeJS.ProcessEnv): ResolveContext => ({
  env,
  homeDir: '/nonexistent',
  osUser: 'os-user',
  defaultSocketDir: '/run/postgresql',
  sysconfDir: '/nonexistent',
});

describe('connection profiles from settings', () => {
  it('reads profiles and fills what they leave out as libpq does: PG* variables, then defaults', () => {
    const [p] = parseProfiles([{ name: 'local' }]);
    assert.deepEqual(profileTarget(p, undefined, context({})), {
      host: '/run/postgresql',
      port: 5432,
      user: 'os-user',
      database: 'os-user',
      password: undefined,
    });
    // Values only resolution gives: a profile that fell back to defaults would not name them.
    const fromEnv = profileTarget(p, undefined, context({ PGHOST: 'db.example', PGPORT: '6543', PGUSER: 'env-user' }));
    assert.deepEqual(fromEnv, {
      host: 'db.example',
      port: 6543,
      user: 'env-user',
      database: 'env-user',
      password: undefined,
    });
  });

  it('names the malformed entry and says what to do', () => {
    assert.throws(
      () => parseProfiles([{ name: 'a' }, { host: 'x' }]),
      (e: unknown) => PgOpsError.is(e) && /pgops\.connections\[1\]/.test(e.message) && !!e.hint,
    );
    assert.throws(() => parseProfiles([{ name: 'a', port: 70000 }]), /invalid port: 70000/);
    assert.throws(() => parseProfiles([{ name: 'a' }, { name: 'a' }]), /two profiles named "a"/);
    assert.throws(() => parseProfiles({}), /must be an array/);
  });
});

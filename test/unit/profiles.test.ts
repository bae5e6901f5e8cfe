import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { parseProfiles, profileTarget } from '../../src/core/conn/profile';
import { PgOpsError } from '../../src/core/errors';

describe('connection profiles from settings', () => {
  it('reads profiles and fills libpq defaults for what they leave out', () => {
    const [p] = parseProfiles([{ name: 'local' }]);
    const t = profileTarget(p);
    assert.equal(t.port, 5432);
    assert.equal(t.user, os.userInfo().username);
    assert.equal(t.database, t.user);
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

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPgbench } from '../../src/core/bench/findPgbench';

/** Real executable files in temp dirs stand in for installations; the lookup only checks the file system. */
function exe(dir: string, name: string, body = '#!/bin/sh\nexit 0\n'): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, body, { mode: 0o755 });
  return p;
}

describe('finding pgbench', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-findpgbench-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prefers the setting, then PATH, then pg_config --bindir, then /usr/lib/postgresql/*/bin (newest first)', () => {
    const sys = path.join(tmp, 'sys');
    exe(path.join(sys, '13', 'bin'), 'pgbench');
    const sys16 = exe(path.join(sys, '16', 'bin'), 'pgbench');
    const binFromConfig = path.join(tmp, 'cfgbin');
    const viaConfig = exe(binFromConfig, 'pgbench');
    const cfgDir = path.join(tmp, 'cfg');
    exe(cfgDir, 'pg_config', `#!/bin/sh\necho ${binFromConfig}\n`);
    const pathDir = path.join(tmp, 'path');
    const viaPath = exe(pathDir, 'pgbench');
    const setting = exe(path.join(tmp, 'setting'), 'my-pgbench');

    assert.deepEqual(findPgbench({ setting, env: { PATH: pathDir }, systemRoot: sys }), {
      path: setting,
      via: 'setting',
    });
    assert.deepEqual(findPgbench({ env: { PATH: `${cfgDir}:${pathDir}` }, systemRoot: sys }), {
      path: viaPath,
      via: 'PATH',
    });
    assert.deepEqual(findPgbench({ env: { PATH: cfgDir }, systemRoot: sys }), { path: viaConfig, via: 'pg_config' });
    assert.deepEqual(findPgbench({ env: { PATH: '' }, systemRoot: sys }), { path: sys16, via: 'system' });
    const sandboxBin = path.join(tmp, 'sandbox-bin');
    const own = exe(sandboxBin, 'pgbench');
    assert.deepEqual(
      findPgbench({ binDir: sandboxBin, env: { PATH: pathDir }, systemRoot: sys }),
      { path: own, via: 'bin-dir' },
      "a server's own bin directory comes before PATH",
    );
    assert.equal(findPgbench({ setting, binDir: sandboxBin }).via, 'setting', 'the setting still wins');
    assert.deepEqual(
      findPgbench({ binDir: path.join(tmp, 'no-pgbench-here'), env: { PATH: pathDir }, systemRoot: sys }),
      { path: viaPath, via: 'PATH' },
      'a bin directory without pgbench (the embedded sandbox) falls through to PATH',
    );
  });

  it('says what to install when there is none, and names a bad setting', () => {
    assert.throws(
      () => findPgbench({ env: { PATH: '' }, systemRoot: path.join(tmp, 'none') }),
      /pgbench was not found/,
    );
    assert.throws(
      () => findPgbench({ setting: path.join(tmp, 'nope') }),
      /configured pgbench ".*nope" is not an executable/,
    );
  });
});

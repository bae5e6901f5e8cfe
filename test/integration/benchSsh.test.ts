/**
 * The SSH collector against a real OpenSSH server (Debian openssh-server) on 127.0.0.1, started by
 * the test with its own host key, config and an authorized key generated here; stopped afterwards.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPgbench } from '../../src/core/bench/findPgbench';
import type { PgOpsError } from '../../src/core/errors';
import { sshShell } from '../../src/core/bench/hostShell';
import { validatePlan } from '../../src/core/bench/plan';
import { runSweep } from '../../src/core/bench/sweep';
import { collectSystemFacts } from '../../src/core/bench/systemFacts';
import { readReport } from '../../src/core/report';
import { sharedServer, serverMatrix, tempDir } from '../support/servers';
import { cliEnv, runCliProcess } from './cliProcess';
import type { Sshd } from '../support/sshd';
import { sshFingerprintOf, sshKeygen, sshTestUser, startSshd } from '../support/sshd';
import { itemText } from '../support/itemText';

describe('bench system facts over SSH (real sshd on 127.0.0.1)', function () {
  this.timeout(60_000);
  let dir: string;
  let sshd: Sshd;
  let port: number;
  let keyFile: string;
  const user = sshTestUser();
  /** pgops' own known_hosts in the test folder, and no user or system known_hosts: never the real ~/.ssh */
  const hostKeys = () => ({ knownHostsFile: path.join(dir, 'known_hosts'), userKnownHostsFiles: [] });

  before(async () => {
    dir = tempDir('bench-sshd');
    sshKeygen(path.join(dir, 'host_ed25519'));
    keyFile = path.join(dir, 'client_ed25519');
    sshd = await startSshd({ dir, hostKeys: [path.join(dir, 'host_ed25519')], authorizedKey: sshKeygen(keyFile) });
    port = sshd.port;
  });

  after(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('collects the same facts over SSH as locally, and records the accepted unknown host key', async () => {
    const notes: string[] = [];
    const sh = await sshShell({ host: '127.0.0.1', port, user, keyFile, ...hostKeys() }, notes);
    try {
      assert.equal(sh.where, `ssh ${user}@127.0.0.1:${port}`);
      const items = await collectSystemFacts(sh);
      assert.equal(items.uname_a.data, execFileSync('uname', ['-r', '-m'], { encoding: 'utf8' }));
      assert.equal(itemText(items.hostname).trim(), os.hostname());
      assert.match(itemText(items.cpu_info), /Architecture:/);
      assert.match(itemText(items.sysctl_vm), /^vm\./m);
      assert.match(
        notes.join('\n'),
        /was not known: accepted its ED25519 key SHA256:.* and recorded it in .*known_hosts/,
      );
    } finally {
      await sh.close();
    }
  });

  it('names a key file it cannot use before connecting: the .pub file, a passphrase-protected key', async () => {
    const target = { host: '127.0.0.1', port, user, ...hostKeys() };
    await assert.rejects(
      sshShell({ ...target, keyFile: `${keyFile}.pub` }),
      (err: PgOpsError) =>
        err.code === 'ssh-key' &&
        err.message.includes(`${keyFile}.pub cannot be used`) &&
        /OpenSSH or PEM format/.test(err.hint ?? ''),
    );
    const locked = path.join(dir, 'locked_ed25519');
    sshKeygen(locked, { passphrase: 'correct horse' });
    await assert.rejects(
      sshShell({ ...target, keyFile: locked }),
      (err: PgOpsError) =>
        err.code === 'ssh-key' &&
        err.message === `The SSH key ${locked} is protected by a passphrase` &&
        /ssh-add/.test(err.hint ?? ''),
    );
  });

  it('pgops bench --ssh records a new host in $XDG_CONFIG_HOME/pgops/known_hosts; --ssh-known-hosts names another file', async function () {
    this.timeout(150_000); // two bench runs, each with its own process
    const t = sharedServer(serverMatrix()[0].major).target();
    const out = tempDir('bench-ssh-cli');
    const home = path.join(out, 'home');
    const xdg = path.join(out, 'xdg');
    fs.mkdirSync(home);
    const bench = (...more: string[]) =>
      runCliProcess(
        [
          'bench',
          '--conn',
          `postgresql://${t.user}:${t.password}@${t.host}:${t.port}/${t.database}`,
          '--clients',
          '1',
          '--time',
          '1',
          '--top',
          '0',
          '--no-waits',
          '--ssh',
          `${user}@127.0.0.1:${port}`,
          '--ssh-key',
          keyFile,
          '--out',
          out,
          ...more,
        ],
        { env: cliEnv(home, { XDG_CONFIG_HOME: xdg }) },
      );
    try {
      const first = await bench('--init', 'once', '--report-name', 'ssh');
      assert.equal(first.code, 0, first.err);
      const report = readReport(path.join(out, 'ssh.pgperf.json'));
      assert.equal(
        report.sections.system.reports.uname_a?.data,
        execFileSync('uname', ['-r', '-m'], { encoding: 'utf8' }),
      );
      const own = path.join(xdg, 'pgops', 'known_hosts');
      const hostLine = fs.readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
      assert.equal(fs.readFileSync(own, 'utf8'), `[127.0.0.1]:${port} ${hostLine}\n`);
      assert.ok(
        first.err.includes(
          `note: SSH host key of [127.0.0.1]:${port} was not known: accepted its ED25519 key ` +
            `${sshFingerprintOf(path.join(dir, 'host_ed25519.pub'))} and recorded it in ${own}`,
        ),
        first.err,
      );
      assert.equal(fs.existsSync(path.join(home, '.ssh')), false, 'nothing is written to ~/.ssh');

      const other = path.join(out, 'other_known_hosts');
      fs.writeFileSync(other, `[127.0.0.1]:${port} ${sshKeygen(path.join(out, 'other_ed25519'))}\n`);
      const second = await bench('--init', 'never', '--report-name', 'refused', '--ssh-known-hosts', other);
      assert.equal(second.code, 0, second.err);
      const refused = readReport(path.join(out, 'refused.pgperf.json'));
      assert.deepEqual(Object.keys(refused.sections.system.reports), []);
      assert.match(
        refused.pgops?.environmentNotes.join('\n') ?? '',
        new RegExp(
          `system facts not collected: The SSH host key of \\[127\\.0\\.0\\.1\\]:${port} has changed: .*other_known_hosts:1 lists`,
        ),
      );
      assert.equal(
        fs.readFileSync(own, 'utf8'),
        `[127.0.0.1]:${port} ${hostLine}\n`,
        'the default file is not used with --ssh-known-hosts',
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('bench system facts of a remote host without SSH', () => {
  it('says "system facts not collected: <reason>" instead of describing this machine', async function () {
    this.timeout(30_000);
    const report = await runSweep({
      plan: validatePlan({ values: [1], durationS: 1 }),
      target: { host: '192.0.2.1', port: 5432, user: 'u', database: 'd', connectTimeoutMs: 1000 },
      pgbenchPath: findPgbench().path,
    });
    assert.match(
      report.pgops?.environmentNotes[0] ?? '',
      /^system facts not collected: the database host 192\.0\.2\.1 is not this machine/,
    );
    assert.deepEqual(Object.keys(report.sections.system.reports), []);
    assert.equal(report.pgops?.status, 'failed');
  });
});

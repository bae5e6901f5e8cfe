/**
 * The SSH collector against a real OpenSSH server (Debian openssh-server) on 127.0.0.1, started by
 * the test with its own host key, config and an authorized key generated here; stopped afterwards.
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { findPgbench } from '../../src/core/bench/findPgbench';
import type { PgOpsError } from '../../src/core/errors';
import { sshShell } from '../../src/core/bench/hostShell';
import { validatePlan } from '../../src/core/bench/plan';
import { runSweep } from '../../src/core/bench/sweep';
import { collectSystemFacts } from '../../src/core/bench/systemFacts';
import { readReport } from '../../src/core/report';
import { freePort } from '../../src/core/sandbox/pgServer';
import { sharedServer, serverMatrix, tempDir } from '../support/servers';

const sshd = '/usr/sbin/sshd';

/**
 * A fresh ed25519 key pair from OpenSSH's own ssh-keygen, unencrypted unless given a passphrase; returns
 * the public key. (ssh2's generateKeyPairSync writes about one key in 300 with a 31-byte public key,
 * which its own parser then calls malformed.)
 */
function sshKeygen(file: string, passphrase = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'pgops-test', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

describe('bench system facts over SSH (real sshd on 127.0.0.1)', function () {
  this.timeout(60_000);
  let dir: string;
  let port: number;
  let daemon: ChildProcess | undefined;
  let hostPublic: string;
  let keyFile: string;
  let daemonLog = '';
  const user = os.userInfo().username;

  before(async () => {
    assert.ok(fs.existsSync(sshd), `${sshd} is missing: apt-get install openssh-server`);
    dir = tempDir('bench-sshd');
    hostPublic = sshKeygen(path.join(dir, 'host_ed25519'));
    keyFile = path.join(dir, 'client_ed25519');
    fs.writeFileSync(path.join(dir, 'authorized_keys'), `${sshKeygen(keyFile)}\n`, { mode: 0o600 });
    port = await freePort();
    fs.writeFileSync(path.join(dir, 'sshd_config'), [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_ed25519`, `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'PermitRootLogin prohibit-password', `AllowUsers ${user}`, '',
    ].join('\n'));
    // sshd insists on its privilege separation directory
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    daemon = spawn(sshd, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr?.on('data', (d: Buffer) => { daemonLog += d.toString(); });
    await waitForPort(port, 10_000).catch((err: Error) => { throw new Error(`${err.message}\n${daemonLog}`); });
  });

  after(() => {
    daemon?.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('collects the same facts over SSH as locally, and records the accepted unknown host key', async () => {
    const notes: string[] = [];
    const sh = await sshShell({ host: '127.0.0.1', port, user, keyFile, knownHostsFile: path.join(dir, 'known_hosts') }, notes);
    try {
      assert.equal(sh.where, `ssh ${user}@127.0.0.1:${port}`);
      const items = await collectSystemFacts(sh);
      assert.equal(items.uname_a.data, execFileSync('uname', ['-r', '-m'], { encoding: 'utf8' }));
      assert.equal(String(items.hostname.data).trim(), os.hostname());
      assert.match(String(items.cpu_info.data), /Architecture:/);
      assert.match(String(items.sysctl_vm.data), /^vm\./m);
      assert.match(notes.join('\n'), /not in .*known_hosts; accepted SHA256:/);
    } finally {
      await sh.close();
    }
  });

  it('connects silently when known_hosts lists the key, and refuses a host whose key differs', async () => {
    const known = path.join(dir, 'known_hosts');
    fs.writeFileSync(known, `[127.0.0.1]:${port} ${hostPublic}\n`);
    const notes: string[] = [];
    const sh = await sshShell({ host: '127.0.0.1', port, user, keyFile, knownHostsFile: known }, notes);
    await sh.close();
    assert.deepEqual(notes, []);
    fs.writeFileSync(known, `[127.0.0.1]:${port} ${sshKeygen(path.join(dir, 'other_host_ed25519'))}\n`);
    const refused: string[] = [];
    await assert.rejects(sshShell({ host: '127.0.0.1', port, user, keyFile, knownHostsFile: known }, refused), /Cannot open ssh/);
    assert.match(refused.join('\n'), /does not match/);
  });

  it('names a key file it cannot use before connecting: the .pub file, a passphrase-protected key', async () => {
    const target = { host: '127.0.0.1', port, user, knownHostsFile: path.join(dir, 'known_hosts') };
    await assert.rejects(sshShell({ ...target, keyFile: `${keyFile}.pub` }),
      (err: PgOpsError) => err.code === 'ssh-key' && err.message.includes(`${keyFile}.pub cannot be used`) && /OpenSSH or PEM format/.test(err.hint ?? ''));
    const locked = path.join(dir, 'locked_ed25519');
    sshKeygen(locked, 'correct horse');
    await assert.rejects(sshShell({ ...target, keyFile: locked }),
      (err: PgOpsError) => err.code === 'ssh-key' && err.message === `The SSH key ${locked} is protected by a passphrase` && /ssh-add/.test(err.hint ?? ''));
  });

  it('pgops bench --ssh --ssh-key takes the system section from the SSH host', async () => {
    const t = sharedServer(serverMatrix()[0].major).target();
    const out = tempDir('bench-ssh-cli');
    try {
      let err = '';
      const code = await main(['bench', '--conn', `postgresql://${t.user}:${t.password}@${t.host}:${t.port}/${t.database}`, '--clients', '1', '--time', '1',
        '--init', 'once', '--top', '0', '--no-waits', '--ssh', `${user}@127.0.0.1:${port}`, '--ssh-key', keyFile, '--report-name', 'ssh', '--out', out],
      { out: () => undefined, err: (m) => { err += `${m}\n`; }, env: { ...process.env }, cwd: out });
      assert.equal(code, 0, err);
      const report = readReport(path.join(out, 'ssh.pgperf.json'));
      assert.equal(report.sections.system.reports.uname_a?.data, execFileSync('uname', ['-r', '-m'], { encoding: 'utf8' }));
      assert.match(report.pgops?.environmentNotes.join('\n') ?? '', new RegExp(`\\[127\\.0\\.0\\.1\\]:${port} is not in`));
      assert.match(err, /note: SSH host key of \[127\.0\.0\.1\]/);
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
      target: { host: '192.0.2.1', port: 5432, user: 'u', database: 'd', connectTimeoutMs: 1000 }, pgbenchPath: findPgbench().path,
    });
    assert.match(report.pgops?.environmentNotes[0] ?? '', /^system facts not collected: the database host 192\.0\.2\.1 is not this machine/);
    assert.deepEqual(Object.keys(report.sections.system.reports), []);
    assert.equal(report.pgops?.status, 'failed');
  });
});

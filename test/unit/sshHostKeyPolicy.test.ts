/**
 * accept-new as pgops does it: where its own known_hosts lives, how a new host is recorded there
 * (and only there), and what a refusal says. Keys and fingerprints come from the real ssh-keygen.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgOpsError } from '../../src/core/errors';
import {
  decideHostKey,
  openSshKnownHostsFiles,
  pgopsKnownHostsFile,
  readKnownHostsFiles,
  recordHostKey,
} from '../../src/core/ssh/hostKeyPolicy';
import { parseKnownHosts } from '../../src/core/ssh/knownHosts';

describe("SSH host key policy: accept-new into pgops' own known_hosts", function () {
  this.timeout(30_000);
  let dir: string;
  let hostLine: string;
  let otherLine: string;
  let hostFingerprint: string;
  let otherFingerprint: string;
  let n = 0;
  const fresh = () => path.join(dir, `case-${++n}`);

  const keygen = (name: string) => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file], { stdio: 'ignore' });
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], {
      encoding: 'utf8',
    }).split(' ')[1];
    return { line: fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '), fingerprint };
  };
  const blob = (line: string) => Buffer.from(line.split(' ')[1], 'base64');

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-hostkeypolicy-'));
    ({ line: hostLine, fingerprint: hostFingerprint } = keygen('host'));
    ({ line: otherLine, fingerprint: otherFingerprint } = keygen('other'));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps its own file under $XDG_CONFIG_HOME/pgops, or ~/.config/pgops when that is unset or relative', () => {
    assert.equal(pgopsKnownHostsFile({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }), '/cfg/pgops/known_hosts');
    assert.equal(pgopsKnownHostsFile({ HOME: '/home/u' }), '/home/u/.config/pgops/known_hosts');
    assert.equal(
      pgopsKnownHostsFile({ HOME: '/home/u', XDG_CONFIG_HOME: 'relative/cfg' }),
      '/home/u/.config/pgops/known_hosts',
    );
    assert.deepEqual(openSshKnownHostsFiles({ HOME: '/home/u' }), [
      '/home/u/.ssh/known_hosts',
      '/home/u/.ssh/known_hosts2',
      '/etc/ssh/ssh_known_hosts',
      '/etc/ssh/ssh_known_hosts2',
    ]);
  });

  it('reads the files that exist, and names a file that exists but cannot be read', () => {
    const a = path.join(fresh(), 'a');
    fs.mkdirSync(path.dirname(a));
    fs.writeFileSync(a, `h1 ${hostLine}\n`);
    const read = readKnownHostsFiles([path.join(dir, 'missing'), a]);
    assert.deepEqual(
      read.entries.map((e) => `${e.file}:${e.line}`),
      [`${a}:1`],
    );
    assert.throws(
      () => readKnownHostsFiles([dir]),
      (err: PgOpsError) =>
        err.code === 'ssh-known-hosts' &&
        err.message.startsWith(`Cannot read the known_hosts file ${dir}:`) &&
        /revoked/.test(err.hint ?? ''),
    );
  });

  it('records a new host in a 0700 folder and a 0600 file, [host]:port off port 22, one line each, readable by ssh-keygen', () => {
    const own = path.join(fresh(), 'pgops', 'known_hosts');
    recordHostKey(own, 'db.example.com', 2222, blob(hostLine));
    recordHostKey(own, 'db.example.com', 22, blob(otherLine));
    assert.equal(fs.readFileSync(own, 'utf8'), `[db.example.com]:2222 ${hostLine}\ndb.example.com ${otherLine}\n`);
    assert.equal(fs.statSync(own).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(own)).mode & 0o777, 0o700);
    const found = spawnSync('ssh-keygen', ['-F', '[db.example.com]:2222', '-f', own], { encoding: 'utf8' });
    assert.match(found.stdout, /found: line 1/);
  });

  it('starts a new line when the file does not end with one', () => {
    const own = path.join(fresh(), 'known_hosts');
    fs.mkdirSync(path.dirname(own));
    fs.writeFileSync(own, `h1 ${otherLine}`);
    recordHostKey(own, 'h2', 22, blob(hostLine));
    assert.equal(fs.readFileSync(own, 'utf8'), `h1 ${otherLine}\nh2 ${hostLine}\n`);
  });

  it('accepts a new host, records it only in its own file, and says so', () => {
    const own = path.join(fresh(), 'known_hosts');
    const userFile = path.join(dir, `user-${n}`);
    fs.writeFileSync(userFile, `unrelated ${otherLine}\n`);
    const entries = readKnownHostsFiles([userFile, own]).entries;
    const d = decideHostKey(entries, own, '10.1.2.3', 5022, blob(hostLine));
    assert.deepEqual(d, {
      accepted: true,
      note: `SSH host key of [10.1.2.3]:5022 was not known: accepted its ED25519 key ${hostFingerprint} and recorded it in ${own}`,
    });
    assert.equal(fs.readFileSync(userFile, 'utf8'), `unrelated ${otherLine}\n`);
    assert.equal(fs.readFileSync(own, 'utf8'), `[10.1.2.3]:5022 ${hostLine}\n`);
    assert.deepEqual(
      decideHostKey(readKnownHostsFiles([userFile, own]).entries, own, '10.1.2.3', 5022, blob(hostLine)),
      { accepted: true },
    );
  });

  it('still connects when the new key cannot be recorded, and says why', () => {
    const blocker = path.join(fresh());
    fs.writeFileSync(blocker, 'a file where the folder should be');
    const d = decideHostKey([], path.join(blocker, 'known_hosts'), 'h1', 22, blob(hostLine));
    assert.equal(d.accepted, true);
    assert.match(
      d.accepted ? (d.note ?? '') : '',
      /accepted its ED25519 key .*, but could not record it in .*known_hosts: EEXIST: file already exists/,
    );
  });

  it('refuses to accept-new a host whose name cannot be written to known_hosts', () => {
    const d = decideHostKey([], path.join(fresh(), 'known_hosts'), 'db*.example.com', 22, blob(hostLine));
    assert.equal(d.accepted, false);
    assert.match(
      d.accepted ? '' : d.error.message,
      /"db\*\.example\.com" is not in known_hosts, and its name cannot be recorded there/,
    );
  });

  const refusal = (text: string, host: string, port: number, line: string): PgOpsError => {
    const d = decideHostKey(
      parseKnownHosts(text, '/u/known_hosts').entries,
      '/own/known_hosts',
      host,
      port,
      blob(line),
    );
    assert.equal(d.accepted, false);
    return (d as { error: PgOpsError }).error;
  };

  it('refuses a changed key with the file, line and both fingerprints, and how to fix it', () => {
    const err = refusal(`# header\n[h1]:2222 ${otherLine}\n`, 'h1', 2222, hostLine);
    assert.equal(err.code, 'ssh-host-key');
    assert.equal(
      err.message,
      `The SSH host key of [h1]:2222 has changed: the host sent ED25519 key ${hostFingerprint}, ` +
        `but /u/known_hosts:2 lists ED25519 key ${otherFingerprint} for it`,
    );
    assert.match(
      err.hint ?? '',
      /man-in-the-middle.*pgops sent nothing and did not sign in.*ssh-keygen -R '\[h1\]:2222' -f \/u\/known_hosts/,
    );
  });

  it('refuses a revoked key, naming the @revoked line', () => {
    const err = refusal(`h1 ${hostLine}\n@revoked * ${hostLine}\n`, 'h1', 22, hostLine);
    assert.equal(
      err.message,
      `The SSH host key of h1 (ED25519 key ${hostFingerprint}) is revoked: @revoked in /u/known_hosts:2`,
    );
  });

  it('refuses a host only a @cert-authority line covers: pgops cannot verify host certificates, and how to add the plain key', () => {
    const err = refusal(`@cert-authority *.example.com ${otherLine}\n`, 'db.example.com', 22, hostLine);
    assert.equal(
      err.message,
      'The SSH host db.example.com is trusted through a certificate authority (@cert-authority in /u/known_hosts:1), ' +
        'and pgops cannot verify host certificates',
    );
    assert.ok(
      err.hint?.includes('add its line to /own/known_hosts: `ssh-keyscan -p 22 -t ed25519 db.example.com` prints it'),
      err.hint,
    );
    assert.ok(err.hint?.includes(`its fingerprint is ${hostFingerprint} (ED25519)`), err.hint);
    assert.ok(err instanceof PgOpsError);
  });
});

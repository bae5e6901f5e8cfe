/**
 * SSH host key checking against a real OpenSSH server: OpenSSH's StrictHostKeyChecking=accept-new,
 * with new hosts recorded only in pgops' own known_hosts, and @revoked, @cert-authority, hashed names
 * and wildcards honoured. The user's known_hosts files here are temp files, never the real ~/.ssh.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sshShell } from '../../src/core/bench/hostShell';
import type { SshTarget } from '../../src/core/bench/hostShell';
import type { PgOpsError } from '../../src/core/errors';
import type { Sshd } from '../support/sshd';
import { sshFingerprintOf, sshKeygen, sshTestUser, startSshd } from '../support/sshd';
import { tempDir } from '../support/servers';

describe("SSH host keys: accept-new into pgops' own known_hosts (real sshd on 127.0.0.1)", function () {
  this.timeout(60_000);
  const user = sshTestUser();
  let dir: string;
  let sshd: Sshd;
  let hostKey: string;
  let otherKey: string;
  let caKey: string;
  let clientKey: string;
  let clientPublic: string;
  let name: string;
  let n = 0;
  /** a fresh path for pgops' own known_hosts, in a folder that does not exist yet */
  const ownFile = () => path.join(dir, `config-${++n}`, 'pgops', 'known_hosts');
  const keyOf = (file: string) => fs.readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  const userFile = (lines: string[]) => {
    const f = path.join(dir, `user_known_hosts-${++n}`);
    fs.writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  };
  const connect = (own: string, userFiles: string[], notes: string[] = [], port = sshd.port) => {
    const target: SshTarget = {
      host: '127.0.0.1',
      port,
      user,
      keyFile: clientKey,
      knownHostsFile: own,
      userKnownHostsFiles: userFiles,
    };
    return sshShell(target, notes);
  };
  const refusal = (pattern: RegExp) => (err: PgOpsError) => {
    assert.equal(err.code, 'ssh-host-key', err.message);
    assert.match(err.message, pattern);
    return true;
  };

  before(async () => {
    dir = tempDir('ssh-hostkeys');
    hostKey = path.join(dir, 'host_ed25519');
    otherKey = path.join(dir, 'other_ed25519');
    caKey = path.join(dir, 'host_ca');
    clientKey = path.join(dir, 'client_ed25519');
    sshKeygen(hostKey);
    sshKeygen(otherKey);
    sshKeygen(caKey);
    clientPublic = sshKeygen(clientKey);
    // the host also offers a certificate signed by the CA, as a host under @cert-authority would
    execFileSync(
      'ssh-keygen',
      ['-q', '-s', caKey, '-I', 'pgops-test-host', '-h', '-n', '127.0.0.1', `${hostKey}.pub`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    sshd = await startSshd({
      dir,
      hostKeys: [hostKey],
      hostCertificates: [`${hostKey}-cert.pub`],
      authorizedKey: clientPublic,
    });
    name = `[127.0.0.1]:${sshd.port}`;
  });

  after(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records an unknown host in pgops' own file (0600, folder 0700), says so, and checks against it next time", async () => {
    const own = ownFile();
    const user = userFile([`other.example.com ${keyOf(otherKey)}`]);
    const userBefore = fs.readFileSync(user, 'utf8');
    const notes: string[] = [];
    const sh = await connect(own, [user], notes);
    assert.equal((await sh.run('echo', ['over ssh'])).trim(), 'over ssh');
    await sh.close();
    assert.equal(fs.readFileSync(own, 'utf8'), `${name} ${keyOf(hostKey)}\n`);
    assert.equal(fs.statSync(own).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(own)).mode & 0o777, 0o700);
    assert.equal(fs.readFileSync(user, 'utf8'), userBefore, "the user's own known_hosts is never written");
    assert.equal(notes.length, 1, notes.join('\n'));
    const fingerprint = sshFingerprintOf(`${hostKey}.pub`);
    assert.ok(
      notes[0].includes(
        `SSH host key of ${name} was not known: accepted its ED25519 key ${fingerprint} and recorded it in ${own}`,
      ),
      notes[0],
    );

    const again: string[] = [];
    await (await connect(own, [user], again)).close();
    assert.deepEqual(again, []);
    assert.equal(fs.readFileSync(own, 'utf8'), `${name} ${keyOf(hostKey)}\n`, 'a known host is not recorded twice');
  });

  it('refuses a host whose key changed, naming the file, line and both fingerprints, and never starts to sign in', async () => {
    const own = ownFile();
    const first = await startSshd({ dir, hostKeys: [hostKey], authorizedKey: clientPublic });
    const port = first.port;
    try {
      await (await connect(own, [], [], port)).close();
    } finally {
      await first.stop();
    }
    fs.writeFileSync(own, `# pgops records host keys here\n${fs.readFileSync(own, 'utf8')}`);
    const changed = await startSshd({ dir, hostKeys: [otherKey], authorizedKey: clientPublic, port });
    try {
      await assert.rejects(connect(own, [], [], port), (err: PgOpsError) => {
        refusal(/has changed/)(err);
        assert.ok(err.message.includes(`${own}:2`), err.message);
        assert.ok(err.message.includes(sshFingerprintOf(`${otherKey}.pub`)), err.message);
        assert.ok(err.message.includes(sshFingerprintOf(`${hostKey}.pub`)), err.message);
        assert.match(err.hint ?? '', /did not sign in/);
        return true;
      });
      await changed.waitForLog(/Disconnected from 127\.0\.0\.1 port \d+ \[preauth\]/);
      assert.doesNotMatch(changed.log(), /userauth-request/, 'no authentication was attempted after the mismatch');
      // the control: a connection this server accepts does log its sign-in
      await (await connect(ownFile(), [], [], port)).close();
      await changed.waitForLog(/userauth-request/);
    } finally {
      await changed.stop();
    }
  });

  it('refuses a key listed under @revoked even when another line lists it as valid', async () => {
    const user = userFile([`${name} ${keyOf(hostKey)}`]);
    const own = ownFile();
    fs.mkdirSync(path.dirname(own), { recursive: true });
    fs.writeFileSync(own, `# revoked keys\n@revoked * ${keyOf(hostKey)}\n`);
    await assert.rejects(connect(own, [user]), (err: PgOpsError) => {
      refusal(/revoked/)(err);
      assert.ok(err.message.includes(`${own}:2`), err.message);
      return true;
    });
  });

  it('matches a hashed entry written by ssh-keygen -H, and does not record the host again', async () => {
    const user = userFile([`${name} ${keyOf(hostKey)}`]);
    execFileSync('ssh-keygen', ['-H', '-f', user], { stdio: 'ignore' });
    assert.match(fs.readFileSync(user, 'utf8'), /^\|1\|[^ ]+ ssh-ed25519 /);
    const own = ownFile();
    const notes: string[] = [];
    await (await connect(own, [user], notes)).close();
    assert.deepEqual(notes, []);
    assert.equal(fs.existsSync(own), false);
  });

  it('matches wildcard patterns, and a negated pattern keeps a line from applying', async () => {
    const wildcard = userFile([`nothing.example.com,[127.0.0.?]:* ${keyOf(hostKey)}`]);
    const notes: string[] = [];
    await (await connect(ownFile(), [wildcard], notes)).close();
    assert.deepEqual(notes, []);
    // another key for every [127.0.0.*] port except ours, and for 127.0.0.1 on port 22: neither applies here
    const excluded = userFile([`[127.0.0.*]:*,!${name} ${keyOf(otherKey)}`, `127.0.0.1 ${keyOf(otherKey)}`]);
    const own = ownFile();
    const recorded: string[] = [];
    await (await connect(own, [excluded], recorded)).close();
    assert.match(recorded.join('\n'), /was not known: accepted its ED25519 key/);
    assert.equal(fs.readFileSync(own, 'utf8'), `${name} ${keyOf(hostKey)}\n`);
  });

  it('refuses a host covered only by @cert-authority, saying pgops cannot verify host certificates and how to add the plain key', async () => {
    const ca = userFile([`@cert-authority [127.0.0.1]:* ${keyOf(caKey)}`]);
    const own = ownFile();
    await assert.rejects(connect(own, [ca]), (err: PgOpsError) => {
      refusal(/cannot verify host certificates/)(err);
      assert.ok(err.message.includes(`${ca}:1`), err.message);
      assert.ok(
        err.hint?.includes(own) && err.hint.includes(`ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1`),
        err.hint,
      );
      assert.ok(err.hint?.includes(sshFingerprintOf(`${hostKey}.pub`)), err.hint);
      return true;
    });
    assert.equal(fs.existsSync(own), false, 'nothing is recorded for a host under a CA');
    // the CA key itself is never taken for the host's plain key
    await assert.rejects(
      connect(own, [userFile([`@cert-authority * ${keyOf(hostKey)}`])]),
      refusal(/cannot verify host certificates/),
    );
    // with the plain key listed too, the plain key decides
    const notes: string[] = [];
    await (await connect(own, [ca, userFile([`${name} ${keyOf(hostKey)}`])], notes)).close();
    assert.deepEqual(notes, []);
  });
});

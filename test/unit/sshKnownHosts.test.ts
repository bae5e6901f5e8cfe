/**
 * The known_hosts reader and matcher against OpenSSH's own semantics: keys from the real ssh-keygen,
 * hashed names from `ssh-keygen -H`, and `ssh-keygen -F` as the oracle for which lines name a host.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'ssh2';
import { ssh2HostKeyAlgorithms } from '../../src/core/bench/hostShell';
import type { KnownHostsEntry } from '../../src/core/ssh/knownHosts';
import {
  checkHostKey,
  hostFieldMatches,
  knownHostsName,
  parseKnownHosts,
  patternListMatches,
  preferredHostKeyAlgorithms,
  sshFingerprint,
  wildcardMatches,
} from '../../src/core/ssh/knownHosts';

/** `type base64` of a fresh key made by ssh-keygen */
function makeKey(dir: string, name: string, type: string, bits?: string): string {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', '', '-f', file], {
    stdio: 'ignore',
  });
  return fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

const blob = (line: string) => Buffer.from(line.split(' ')[1], 'base64');

describe('known_hosts reader and matcher (OpenSSH semantics)', function () {
  this.timeout(30_000);
  let dir: string;
  const keys: Record<string, string> = {};

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-knownhosts-'));
    keys.ed25519 = makeKey(dir, 'ed25519', 'ed25519');
    keys.other = makeKey(dir, 'other', 'ed25519');
    keys.ca = makeKey(dir, 'ca', 'ed25519');
    keys.ecdsa256 = makeKey(dir, 'ecdsa256', 'ecdsa', '256');
    keys.ecdsa384 = makeKey(dir, 'ecdsa384', 'ecdsa', '384');
    keys.rsa = makeKey(dir, 'rsa', 'rsa', '2048');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const entriesOf = (text: string, file = '/k') => parseKnownHosts(text, file).entries;

  it('matches * and ? wildcards over the whole name, case-insensitively', () => {
    assert.ok(wildcardMatches('*.example.com', 'db1.example.com'));
    assert.ok(!wildcardMatches('*.example.com', 'example.com'));
    assert.ok(wildcardMatches('db?.example.com', 'db7.example.com'));
    assert.ok(!wildcardMatches('db?.example.com', 'db17.example.com'));
    assert.ok(wildcardMatches('*a*b', 'xxaxxab'));
    assert.ok(!wildcardMatches('*a*b', 'xxaxxa'));
    assert.ok(wildcardMatches('***', ''));
    assert.ok(wildcardMatches('[10.0.0.?]:*', '[10.0.0.7]:5432'));
    assert.ok(patternListMatches('DB1.Example.COM', 'db1.EXAMPLE.com'));
  });

  it('takes a comma list, where a matching negated pattern keeps the line from applying', () => {
    assert.ok(patternListMatches('a.example.com,b.example.com', 'b.example.com'));
    assert.ok(!patternListMatches('*.example.com,!b.example.com', 'b.example.com'));
    assert.ok(!patternListMatches('!b.example.com,*.example.com', 'b.example.com'), 'the order does not matter');
    assert.ok(patternListMatches('*.example.com,!b.example.com', 'c.example.com'));
    assert.ok(!patternListMatches('!b.example.com', 'c.example.com'), 'a negation alone matches nothing');
  });

  it('names a host on another port [host]:port, which a bare host pattern does not match', () => {
    assert.equal(knownHostsName('DB1.example.com', 22), 'db1.example.com');
    assert.equal(knownHostsName('db1.example.com', 2222), '[db1.example.com]:2222');
    assert.ok(!hostFieldMatches('db1.example.com', '[db1.example.com]:2222'));
    assert.ok(hostFieldMatches('[db1.example.com]:2222', '[db1.example.com]:2222'));
    assert.ok(hostFieldMatches('[db*.example.com]:*', '[db1.example.com]:2222'));
    assert.ok(hostFieldMatches('*', '[db1.example.com]:2222'));
  });

  it('agrees with ssh-keygen -F on which lines name a host: wildcards, negation, ports, hashed names, markers', () => {
    const hashedSource = path.join(dir, 'to_hash');
    fs.writeFileSync(hashedSource, `[10.0.0.7]:5432 ${keys.ed25519}\ndb4.example.com ${keys.ed25519}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', hashedSource], { stdio: 'ignore' });
    const hashed = fs.readFileSync(hashedSource, 'utf8').trim().split('\n');
    assert.ok(
      hashed.every((l) => l.startsWith('|1|')),
      hashed.join('\n'),
    );
    const text = [
      '# a comment',
      '',
      `db1.example.com ${keys.ed25519}`,
      `*.example.com,!db2.example.com ${keys.ed25519}`,
      `db?.example.org ${keys.ed25519}`,
      `[db1.example.com]:2222 ${keys.ed25519}`,
      `[db*.example.com]:* ${keys.ed25519}`,
      `10.0.0.*,!10.0.0.5 ${keys.ed25519}`,
      `  DB9.Example.COM ${keys.ed25519}`,
      `!bad.internal,*.internal ${keys.ed25519}`,
      ...hashed,
      `@revoked *.example.net ${keys.ed25519}`,
      `@cert-authority *.example.net,!ca-free.example.net ${keys.ca}`,
    ].join('\n');
    const file = path.join(dir, 'known_hosts');
    fs.writeFileSync(file, `${text}\n`);
    const entries = entriesOf(text, file);
    const names = [
      'db1.example.com',
      'db2.example.com',
      'db3.example.com',
      'dbx.example.org',
      'db12.example.org',
      'example.com',
      '[db1.example.com]:2222',
      '[db7.example.com]:2200',
      '10.0.0.4',
      '10.0.0.5',
      '[10.0.0.7]:5432',
      '[10.0.0.7]:5433',
      'db4.example.com',
      'db9.example.com',
      'x.example.net',
      'ca-free.example.net',
      'bad.internal',
      'good.internal',
    ];
    for (const name of names) {
      const r = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
      const theirs = [...r.stdout.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
      const ours = entries.filter((e) => hostFieldMatches(e.hosts, name)).map((e) => e.line);
      assert.deepEqual(ours, theirs, `lines naming ${name}`);
    }
  });

  it('reads markers, several key types, and skips comments, blank and malformed lines naming each', () => {
    const text = [
      '# comment',
      '',
      `   \thost-a ${keys.ed25519} a comment after the key`,
      `host-b ${keys.ecdsa256}`,
      `host-c ${keys.ecdsa384}`,
      `host-d ${keys.rsa}`,
      `@revoked * ${keys.other}`,
      `@cert-authority *.example.com ${keys.ca}`,
      `@revokd * ${keys.other}`,
      `@revoked @revoked * ${keys.other}`,
      'host-only',
      `host-e ssh-rsa ${keys.ed25519.split(' ')[1]}`,
      'host-f ssh-ed25519 not-base64!',
      `host-g ${keys.ed25519}\r`,
    ].join('\n');
    const { entries, skipped } = parseKnownHosts(text, '/k');
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker, e.hosts, e.keyType]),
      [
        [3, undefined, 'host-a', 'ssh-ed25519'],
        [4, undefined, 'host-b', 'ecdsa-sha2-nistp256'],
        [5, undefined, 'host-c', 'ecdsa-sha2-nistp384'],
        [6, undefined, 'host-d', 'ssh-rsa'],
        [7, 'revoked', '*', 'ssh-ed25519'],
        [8, 'cert-authority', '*.example.com', 'ssh-ed25519'],
        [14, undefined, 'host-g', 'ssh-ed25519'],
      ],
    );
    assert.ok(entries[0].key.equals(blob(keys.ed25519)));
    assert.deepEqual(skipped, [
      '/k:9 skipped: an unknown marker (only @revoked and @cert-authority exist)',
      '/k:10 skipped: more than one marker',
      '/k:11 skipped: no key after the host names',
      '/k:12 skipped: the key is not a ssh-rsa key',
      '/k:13 skipped: no base64 key after "ssh-ed25519"',
    ]);
  });

  describe('the verdict on a presented key (OpenSSH check_host_key)', () => {
    const verdict = (lines: string[], host: string, port: number, key: string) => {
      const v = checkHostKey(entriesOf(lines.join('\n')), host, port, blob(key));
      return 'entry' in v ? `${v.status}:${v.entry.line}` : v.status;
    };

    it('knows a listed key, calls an unlisted host new, and a host listed with other keys changed (naming the last line)', () => {
      const lines = [`h1 ${keys.other}`, `h1 ${keys.ed25519}`, `h2 ${keys.other}`, `h2,h3 ${keys.ecdsa256}`];
      assert.equal(verdict(lines, 'h1', 22, keys.ed25519), 'known:2');
      assert.equal(verdict(lines, 'H1', 22, keys.ed25519), 'known:2');
      assert.equal(verdict(lines, 'h9', 22, keys.ed25519), 'new');
      assert.equal(verdict(lines, 'h2', 22, keys.ed25519), 'changed:4');
      // a host known by its ECDSA key that presents an Ed25519 key has changed, as in OpenSSH
      assert.equal(verdict(lines, 'h3', 22, keys.ed25519), 'changed:4');
    });

    it('refuses a @revoked key even when another line lists it, but only for hosts the @revoked line names', () => {
      assert.equal(verdict([`h1 ${keys.ed25519}`, `@revoked * ${keys.ed25519}`], 'h1', 22, keys.ed25519), 'revoked:2');
      assert.equal(
        verdict([`@revoked [h1]:* ${keys.ed25519}`, `[h1]:2222 ${keys.ed25519}`], 'h1', 2222, keys.ed25519),
        'revoked:1',
      );
      assert.equal(verdict([`h1 ${keys.ed25519}`, `@revoked h2 ${keys.ed25519}`], 'h1', 22, keys.ed25519), 'known:1');
      assert.equal(verdict([`h1 ${keys.ed25519}`, `@revoked * ${keys.other}`], 'h1', 22, keys.ed25519), 'known:1');
      // stricter than OpenSSH: a key revoked for the bare name is revoked on every port
      assert.equal(verdict([`@revoked h1 ${keys.ed25519}`], 'h1', 2222, keys.ed25519), 'revoked:1');
    });

    it('never takes a @cert-authority key for a plain host key; a host only a CA line covers is not new', () => {
      assert.equal(
        verdict([`@cert-authority *.example.com ${keys.ca}`], 'db.example.com', 22, keys.ed25519),
        'cert-authority-only:1',
      );
      assert.equal(
        verdict([`@cert-authority *.example.com ${keys.ca}`], 'db.example.com', 22, keys.ca),
        'cert-authority-only:1',
      );
      assert.equal(
        verdict(
          [`@cert-authority *.example.com ${keys.ca}`, `db.example.com ${keys.ed25519}`],
          'db.example.com',
          22,
          keys.ed25519,
        ),
        'known:2',
      );
      assert.equal(
        verdict(
          [`@cert-authority *.example.com ${keys.ca}`, `db.example.com ${keys.other}`],
          'db.example.com',
          22,
          keys.ca,
        ),
        'changed:2',
      );
      assert.equal(verdict([`@cert-authority *.example.org ${keys.ca}`], 'db.example.com', 22, keys.ed25519), 'new');
    });

    it('off port 22, accepts a key listed for the bare name, but a different key there does not make the host changed', () => {
      assert.equal(verdict([`h1 ${keys.ed25519}`], 'h1', 2222, keys.ed25519), 'known:1');
      assert.equal(verdict([`h1 ${keys.other}`], 'h1', 2222, keys.ed25519), 'new');
      assert.equal(verdict([`[h1]:2222 ${keys.other}`, `h1 ${keys.ed25519}`], 'h1', 2222, keys.ed25519), 'changed:1');
      assert.equal(verdict([`[h1]:2222 ${keys.ed25519}`], 'h1', 22, keys.ed25519), 'new');
    });

    it('matches a hashed name for the [host]:port form', () => {
      const f = path.join(dir, 'hashed_port');
      fs.writeFileSync(f, `[db.example.com]:5433 ${keys.rsa}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
      const line = fs.readFileSync(f, 'utf8').trim();
      assert.equal(verdict([line], 'db.example.com', 5433, keys.rsa), 'known:1');
      assert.equal(verdict([line], 'db.example.com', 5434, keys.rsa), 'new');
      assert.equal(verdict([line], 'db.example.com', 22, keys.rsa), 'new');
    });
  });

  it('asks the host for the key types known for it first, as OpenSSH orders HostKeyAlgorithms', () => {
    const entries: KnownHostsEntry[] = entriesOf(
      [`h1 ${keys.rsa}`, `h2 ${keys.ecdsa384}`, `@cert-authority h3 ${keys.ecdsa256}`].join('\n'),
    );
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'h1', 22, ssh2HostKeyAlgorithms).slice(0, 4), [
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'h2', 22, ssh2HostKeyAlgorithms).slice(0, 2), [
      'ecdsa-sha2-nistp384',
      'ssh-ed25519',
    ]);
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'h3', 22, ssh2HostKeyAlgorithms), ssh2HostKeyAlgorithms);
  });

  it('ssh2 offers exactly these host key algorithms and cannot negotiate OpenSSH host certificates', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2's own default list, not part of its typed API
    const constants = require('ssh2/lib/protocol/constants') as { DEFAULT_SERVER_HOST_KEY: string[] };
    assert.deepEqual(ssh2HostKeyAlgorithms, constants.DEFAULT_SERVER_HOST_KEY);
    assert.throws(
      () =>
        new Client().connect({
          host: '127.0.0.1',
          port: 9,
          algorithms: { serverHostKey: ['ssh-ed25519-cert-v01@openssh.com' as never] },
        }),
      /Unsupported algorithm: ssh-ed25519-cert-v01@openssh\.com/,
    );
  });

  it('prints fingerprints as ssh-keygen -l does', () => {
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'rsa.pub')], {
      encoding: 'utf8',
    }).split(' ')[1];
    assert.equal(sshFingerprint(blob(keys.rsa)), printed);
  });
});

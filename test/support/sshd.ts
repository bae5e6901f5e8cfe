/**
 * A real OpenSSH server (Debian openssh-server) on 127.0.0.1 for the SSH tests, with host keys, an
 * authorized client key and a config made here by OpenSSH's own ssh-keygen. It logs at DEBUG1 so a
 * test can see whether a client ever started to authenticate ("userauth-request").
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/core/sandbox/pgServer';

export const sshdPath = '/usr/sbin/sshd';

/**
 * Who the tests sign in as. As root, a dedicated account with /bin/sh: root's own shell on these machines
 * reads a ~/.bashrc (Debian's bash does so for every command sshd runs) that spends a second or more in
 * `pyenv init`, which made every remote command slow and the SSH tests depend on load. Otherwise ourselves,
 * the only user an unprivileged sshd can sign in.
 */
export function sshTestUser(): string {
  if (process.getuid?.() !== 0) return os.userInfo().username;
  const name = 'pgops-ssh';
  const known = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((l) => l.startsWith(`${name}:`));
  if (!known) {
    execFileSync(
      'useradd',
      ['--system', '--shell', '/bin/sh', '--home-dir', '/nonexistent', '--no-create-home', name],
      { stdio: 'pipe' },
    );
    // useradd locks the account ("!"), and sshd without PAM refuses locked accounts even with a key; "*" has no password
    execFileSync('usermod', ['--password', '*', name], { stdio: 'pipe' });
  }
  return name;
}

/**
 * A fresh key pair from ssh-keygen, unencrypted unless given a passphrase; returns the public key line.
 * (ssh2's generateKeyPairSync writes about one ed25519 key in 300 with a 31-byte public key, which its
 * own parser then calls malformed.)
 */
export function sshKeygen(file: string, opts: { passphrase?: string; type?: string } = {}): string {
  execFileSync(
    'ssh-keygen',
    ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', 'pgops-test', '-f', file],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/** `ssh-keygen -l`'s SHA256 fingerprint of a public key file: an oracle that is not our code. */
export function sshFingerprintOf(publicKeyFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile], { encoding: 'utf8' }).split(' ')[1];
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

export interface Sshd {
  port: number;
  /** everything sshd logged so far */
  log(): string;
  /** waits until the log matches, or fails naming what it waited for */
  waitForLog(re: RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** folder for the config, pid file and authorized_keys */
  dir: string;
  /** private host key files */
  hostKeys: string[];
  /** OpenSSH host certificates (`HostCertificate`) */
  hostCertificates?: string[];
  /** the authorized client public key line */
  authorizedKey: string;
  /** reuse a port (to restart "the same host" with another key) */
  port?: number;
}

/** Starts sshd in the foreground (-D), logging to our pipe (-e); `stop()` waits for it to exit. */
export async function startSshd(o: SshdOptions): Promise<Sshd> {
  if (!fs.existsSync(sshdPath)) throw new Error(`${sshdPath} is missing: apt-get install openssh-server`);
  const port = o.port ?? (await freePort());
  const user = sshTestUser();
  // sshd reads it as the signing-in user (a public key: readable by all)
  fs.writeFileSync(path.join(o.dir, 'authorized_keys'), `${o.authorizedKey}\n`, { mode: 0o644 });
  fs.chmodSync(path.join(o.dir, 'authorized_keys'), 0o644);
  const config = path.join(o.dir, `sshd_config.${port}`);
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...o.hostKeys.map((k) => `HostKey ${k}`),
      ...(o.hostCertificates ?? []).map((c) => `HostCertificate ${c}`),
      `PidFile ${o.dir}/sshd.${port}.pid`,
      `AuthorizedKeysFile ${o.dir}/authorized_keys`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'LogLevel DEBUG1',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege separation directory
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let log = '';
  const daemon: ChildProcess = spawn(sshdPath, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  daemon.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  await waitForPort(port, 10_000).catch((err: Error) => {
    daemon.kill('SIGTERM');
    throw new Error(`${err.message}\n${log}`);
  });
  return {
    port,
    log: () => log,
    waitForLog: async (re, ms = 10_000) => {
      const until = Date.now() + ms;
      while (!re.test(log)) {
        if (Date.now() > until) throw new Error(`sshd did not log ${re} within ${ms} ms; its log:\n${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
      await exited;
    },
  };
}

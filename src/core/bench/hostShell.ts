import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { Client as SshClient, utils as sshUtils } from 'ssh2';
import { PgOpsError } from '../errors';
import { shellCommandLine } from '../shell';
import { decideHostKey, openSshKnownHostsFiles, pgopsKnownHostsFile, readKnownHostsFiles } from '../ssh/hostKeyPolicy';
import { preferredHostKeyAlgorithms } from '../ssh/knownHosts';

export interface RunOptions {
  timeoutMs?: number;
  /**
   * Take what the program printed even when it exits non-zero: `sysctl vm` run by an unprivileged
   * user prints every key it may read and fails on the few it may not.
   */
  partial?: boolean;
}

/** Runs programs on the database host: this machine, or over SSH. Always `LC_ALL=C`. */
export interface HostShell {
  /** e.g. "local" or "ssh root@db1:22" */
  readonly where: string;
  run(program: string, args: string[], opts?: RunOptions): Promise<string>;
  close(): Promise<void>;
}

const sbinPath = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function localShell(): HostShell {
  const env = {
    ...process.env,
    LC_ALL: 'C',
    PATH: [process.env.PATH ?? '/usr/bin:/bin', ...sbinPath].join(path.delimiter),
  };
  return {
    where: 'local',
    run: (program, args, opts = {}) =>
      new Promise((resolve, reject) => {
        execFile(
          program,
          args,
          { env, timeout: opts.timeoutMs ?? 20_000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' },
          (err, stdout, stderr) => {
            if (err && !(opts.partial && stdout && typeof err.code === 'number'))
              reject(new Error(`${program} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
            else resolve(stdout);
          },
        );
      }),
    close: () => Promise.resolve(),
  };
}

/** Is the database on this machine? Unix sockets, loopback, and this host's own names and addresses are. */
export function isLocalHost(host: string): boolean {
  if (host.startsWith('/') || host === 'localhost' || host === os.hostname() || /^127\./.test(host) || host === '::1')
    return true;
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === host));
}

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** private key file; without it the SSH agent ($SSH_AUTH_SOCK) is used */
  keyFile?: string;
  passphrase?: string;
  /** pgops' own known_hosts: read, and where a new host's key is recorded (accept-new); default pgopsKnownHostsFile() */
  knownHostsFile?: string;
  /** known_hosts files that are only read; default OpenSSH's user and system files (openSshKnownHostsFiles()) */
  userKnownHostsFiles?: string[];
}

/** `user@host[:port]` as the CLI takes it. */
export function parseSshDestination(
  dest: string,
  defaultUser = os.userInfo().username,
): Pick<SshTarget, 'host' | 'port' | 'user'> {
  const m = dest.match(/^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/);
  if (!m)
    throw new PgOpsError(
      'ssh-dest',
      `Cannot read the SSH destination "${dest}"`,
      'Write it as user@host or user@host:port.',
    );
  return { user: m[1] ?? defaultUser, host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
}

/** ssh2 1.17's host key algorithms, in its order; it cannot negotiate OpenSSH host certificates (`*-cert-v01@openssh.com`). */
export const ssh2HostKeyAlgorithms: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** The private key file's bytes, once ssh2 can use them: unreadable, not a key, or locked keys are named here. */
function readSshKey(file: string, passphrase: string | undefined): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new PgOpsError(
      'ssh-key',
      `Cannot read the SSH key ${file}: ${(err as Error).message}`,
      'Give a readable private key file (--ssh-key) or use an SSH agent.',
      { cause: err },
    );
  }
  const parsed = sshUtils.parseKey(bytes, passphrase);
  if (!(parsed instanceof Error) && parsed.isPrivateKey()) return bytes;
  const problem = parsed instanceof Error ? parsed.message : 'it holds a public key, not a private one';
  if (/encrypted/i.test(problem) && passphrase === undefined) {
    throw new PgOpsError(
      'ssh-key',
      `The SSH key ${file} is protected by a passphrase`,
      'Load it into your SSH agent (ssh-add) and leave out --ssh-key: pgops then signs with the agent and never sees the passphrase.',
    );
  }
  throw new PgOpsError(
    'ssh-key',
    `The SSH key ${file} cannot be used: ${problem}`,
    'Give a private key in OpenSSH or PEM format (ssh-keygen writes one), not the .pub file, or use an SSH agent.',
  );
}

export async function sshShell(target: SshTarget, notes: string[] = []): Promise<HostShell> {
  const client = new SshClient();
  const where = `ssh ${target.user}@${target.host}:${target.port}`;
  const privateKey = target.keyFile ? readSshKey(target.keyFile, target.passphrase) : undefined;
  const ownKnownHosts = target.knownHostsFile ?? pgopsKnownHostsFile();
  const known = readKnownHostsFiles([...(target.userKnownHostsFiles ?? openSshKnownHostsFiles()), ownKnownHosts]);
  notes.push(...known.skipped);
  let refused: PgOpsError | undefined;
  let hostKey: Buffer | undefined;
  // runs during key exchange, before any authentication: a refusal ends the connection with nothing sent
  const hostVerifier = (key: Buffer) => {
    if (hostKey) return hostKey.equals(key); // a re-key must present the key already checked
    const decision = decideHostKey(known.entries, ownKnownHosts, target.host, target.port, key);
    if (!decision.accepted) refused = decision.error;
    else {
      hostKey = key;
      if (decision.note) notes.push(decision.note);
    }
    return decision.accepted;
  };
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', (err) =>
      reject(
        refused ??
          new PgOpsError(
            'ssh-connect',
            `Cannot open ${where}: ${err.message}`,
            'Check the host, port, user and key (or agent).',
            { cause: err },
          ),
      ),
    );
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      passphrase: target.passphrase,
      agent: privateKey ? undefined : process.env.SSH_AUTH_SOCK,
      readyTimeout: 10_000,
      hostVerifier,
      algorithms: {
        serverHostKey: preferredHostKeyAlgorithms(known.entries, target.host, target.port, ssh2HostKeyAlgorithms),
      },
    });
  });
  const run = (program: string, args: string[], opts: RunOptions = {}) =>
    new Promise<string>((resolve, reject) => {
      // ssh's exec always goes through the remote user's shell: quote every word for it
      const command = shellCommandLine([
        'env',
        'LC_ALL=C',
        `PATH=/usr/local/bin:/usr/bin:/bin:${sbinPath.join(':')}`,
        program,
        ...args,
      ]);
      client.exec(command, (err, stream) => {
        if (err) {
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => {
          stream.close();
          reject(new Error(`${program}: timed out over SSH`));
        }, opts.timeoutMs ?? 20_000);
        stream.on('data', (d: Buffer) => {
          stdout += d.toString('utf8');
        });
        stream.stderr.on('data', (d: Buffer) => {
          stderr += d.toString('utf8');
        });
        stream.on('close', (code: number | null) => {
          clearTimeout(timer);
          if (code === 0 || (opts.partial && stdout && code !== null)) resolve(stdout);
          else reject(new Error(`${program} ${args.join(' ')}: ${stderr.trim() || `exit code ${code}`}`));
        });
      });
    });
  return {
    where,
    run,
    close: () => {
      client.end();
      return Promise.resolve();
    },
  };
}

/**
 * A shell on the database host: over SSH when a target is given, this machine when the host is local, and otherwise
 * why there is none (the caller adds how to give SSH access where it offers one).
 */
export async function databaseHostShell(
  host: string,
  ssh: SshTarget | undefined,
  notes: string[] = [],
): Promise<HostShell | string> {
  if (ssh) return sshShell(ssh, notes);
  if (isLocalHost(host)) return localShell();
  return `the database host ${host} is not this machine and no SSH access was given`;
}

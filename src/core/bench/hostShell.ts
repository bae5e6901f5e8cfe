import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as SshClient, utils as sshUtils } from 'ssh2';
import { PgOpsError } from '../errors';
import { shellCommandLine } from '../shell';

/** Runs programs on the database host: this machine, or over SSH. Always `LC_ALL=C`. */
export interface HostShell {
  /** e.g. "local" or "ssh root@db1:22" */
  readonly where: string;
  run(program: string, args: string[], opts?: { timeoutMs?: number }): Promise<string>;
  close(): Promise<void>;
}

const sbinPath = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function localShell(): HostShell {
  const env = { ...process.env, LC_ALL: 'C', PATH: [process.env.PATH ?? '/usr/bin:/bin', ...sbinPath].join(path.delimiter) };
  return {
    where: 'local',
    run: (program, args, opts = {}) => new Promise((resolve, reject) => {
      execFile(program, args, { env, timeout: opts.timeoutMs ?? 20_000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${program} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
        else resolve(stdout);
      });
    }),
    close: async () => undefined,
  };
}

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** private key file; without it the SSH agent ($SSH_AUTH_SOCK) is used */
  keyFile?: string;
  passphrase?: string;
  /** known_hosts file to check the host key against; default ~/.ssh/known_hosts */
  knownHostsFile?: string;
}

/** `user@host[:port]` as the CLI takes it. */
export function parseSshDestination(dest: string, defaultUser = os.userInfo().username): Pick<SshTarget, 'host' | 'port' | 'user'> {
  const m = dest.match(/^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/);
  if (!m) throw new PgOpsError('ssh-dest', `Cannot read the SSH destination "${dest}"`, 'Write it as user@host or user@host:port.');
  return { user: m[1] ?? defaultUser, host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
}

function hashedHostMatches(entry: string, host: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64') === hash;
}

/**
 * The host key check: a key listed for the host in known_hosts must match; an unknown host is
 * accepted and its fingerprint recorded (like StrictHostKeyChecking=accept-new, without writing).
 */
export function checkHostKey(key: Buffer, target: SshTarget, notes: string[]): boolean {
  const file = target.knownHostsFile ?? path.join(os.homedir(), '.ssh', 'known_hosts');
  const names = target.port === 22 ? [target.host] : [`[${target.host}]:${target.port}`];
  const fingerprint = `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
  const listed: string[] = [];
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [hosts, , blob] = line.trim().split(/\s+/);
      if (!hosts || hosts.startsWith('#') || !blob) continue;
      const match = hosts.split(',').some((h) => (h.startsWith('|1|') ? names.some((n) => hashedHostMatches(h, n)) : names.includes(h)));
      if (match) listed.push(blob);
    }
  }
  if (listed.length === 0) {
    notes.push(`SSH host key of ${names[0]} is not in ${file}; accepted ${fingerprint}`);
    return true;
  }
  const ok = listed.includes(key.toString('base64'));
  if (!ok) notes.push(`SSH host key of ${names[0]} (${fingerprint}) does not match ${file}`);
  return ok;
}

/** The private key file's bytes, once ssh2 can use them: unreadable, not a key, or locked keys are named here. */
function readSshKey(file: string, passphrase: string | undefined): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new PgOpsError('ssh-key', `Cannot read the SSH key ${file}: ${(err as Error).message}`, 'Give a readable private key file (--ssh-key) or use an SSH agent.', { cause: err });
  }
  const parsed = sshUtils.parseKey(bytes, passphrase);
  if (!(parsed instanceof Error) && parsed.isPrivateKey()) return bytes;
  const problem = parsed instanceof Error ? parsed.message : 'it holds a public key, not a private one';
  if (/encrypted/i.test(problem) && passphrase === undefined) {
    throw new PgOpsError('ssh-key', `The SSH key ${file} is protected by a passphrase`,
      'Load it into your SSH agent (ssh-add) and leave out --ssh-key: pgops then signs with the agent and never sees the passphrase.');
  }
  throw new PgOpsError('ssh-key', `The SSH key ${file} cannot be used: ${problem}`,
    'Give a private key in OpenSSH or PEM format (ssh-keygen writes one), not the .pub file, or use an SSH agent.');
}

export async function sshShell(target: SshTarget, notes: string[] = []): Promise<HostShell> {
  const client = new SshClient();
  const where = `ssh ${target.user}@${target.host}:${target.port}`;
  const privateKey = target.keyFile ? readSshKey(target.keyFile, target.passphrase) : undefined;
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', (err) => reject(new PgOpsError('ssh-connect', `Cannot open ${where}: ${err.message}`,
      'Check the host, port, user and key (or agent), and that the host key matches known_hosts.', { cause: err })));
    client.connect({
      host: target.host, port: target.port, username: target.user, privateKey, passphrase: target.passphrase,
      agent: privateKey ? undefined : process.env.SSH_AUTH_SOCK, readyTimeout: 10_000,
      hostVerifier: (key: Buffer) => checkHostKey(key, target, notes),
    });
  });
  const run = (program: string, args: string[], opts: { timeoutMs?: number } = {}) => new Promise<string>((resolve, reject) => {
    // ssh's exec always goes through the remote user's shell: quote every word for it
    const command = shellCommandLine(['env', 'LC_ALL=C', `PATH=/usr/local/bin:/usr/bin:/bin:${sbinPath.join(':')}`, program, ...args]);
    client.exec(command, (err, stream) => {
      if (err) { reject(err); return; }
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => { stream.close(); reject(new Error(`${program}: timed out over SSH`)); }, opts.timeoutMs ?? 20_000);
      stream.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
      stream.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
      stream.on('close', (code: number | null) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else reject(new Error(`${program} ${args.join(' ')}: ${stderr.trim() || `exit code ${code}`}`));
      });
    });
  });
  return { where, run, close: async () => { client.end(); } };
}

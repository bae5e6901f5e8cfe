import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { PgOpsError } from '../errors';

/** The OS account a PostgreSQL server runs as. PostgreSQL refuses to run as root. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

const serviceAccount = 'postgres';

/**
 * Who should own and run a server started by this process: ourselves, or — when we are
 * root — the `postgres` account (created when missing, as a system user with no login).
 * Returns undefined when no switch is needed.
 */
export function serverRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let entry = lookupUser(serviceAccount);
  if (!entry) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', serviceAccount], {
        stdio: 'pipe',
      });
    } catch (err) {
      throw new PgOpsError(
        'os-user',
        `Cannot run PostgreSQL as root and could not create the "${serviceAccount}" OS user`,
        `Create a non-root user named "${serviceAccount}" (useradd --system ${serviceAccount}) or run as a normal user.`,
        { cause: err },
      );
    }
    entry = lookupUser(serviceAccount);
  }
  if (!entry)
    throw new PgOpsError('os-user', `OS user "${serviceAccount}" not found after creating it`, 'Check /etc/passwd.');
  return entry;
}

function lookupUser(name: string): RunAs | undefined {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid) };
}

/** Give a directory tree to the account that runs the server. */
export function chownTree(dir: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  const walk = (p: string): void => {
    fs.lchownSync(p, runAs.uid, runAs.gid);
    if (fs.lstatSync(p).isDirectory()) for (const child of fs.readdirSync(p)) walk(`${p}/${child}`);
  };
  walk(dir);
}

export function currentOsUser(): string {
  return os.userInfo().username;
}

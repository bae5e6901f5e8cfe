/**
 * Restarting the server a sweep runs against, for a postmaster setting: only a server on this
 * machine whose data directory pgops can reach, with the pg_ctl next to the postgres it was started
 * with (postmaster.opts), as the data directory's owner. `pg_ctl restart` starts it again with the
 * same options; postgresql.auto.conf brings the new value.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { readPostmasterPid } from '../sandbox/pgServer';

const run = promisify(execFile);

export interface Restarter {
  /** how, for the report: `pg_ctl restart -D /var/lib/…` */
  describe: string;
  run: () => Promise<void>;
}

const localHosts = new Set(['localhost', '127.0.0.1', '::1']);

/** How pgops can restart this server, or why it cannot. */
export async function localRestarter(client: Client, host: string, port: number): Promise<Restarter | string> {
  if (!host.startsWith('/') && !localHosts.has(host))
    return `the server at ${host} is not on this machine (pgops restarts only local servers)`;
  let dataDir: string;
  try {
    dataDir = (await client.query<{ d: string }>("SELECT pg_catalog.current_setting('data_directory') AS d")).rows[0].d;
  } catch (err) {
    return `cannot read data_directory (${(err as Error).message}): connect as a superuser or a member of pg_read_all_settings`;
  }
  const pid = readPostmasterPid(dataDir);
  if (!pid || pid.port !== port)
    return `${dataDir}/postmaster.pid is not readable here or names another port: the server is not this machine's`;
  let binary: string | undefined;
  try {
    binary = fs
      .readFileSync(path.join(dataDir, 'postmaster.opts'), 'utf8')
      .match(/^\s*(?:"([^"]+)"|(\S+))/)
      ?.slice(1)
      .find(Boolean);
  } catch {
    binary = undefined;
  }
  const pgCtl = binary && path.join(path.dirname(binary), 'pg_ctl');
  if (!pgCtl || !fs.existsSync(pgCtl)) return `no pg_ctl next to the postgres named in ${dataDir}/postmaster.opts`;
  const owner = fs.statSync(dataDir);
  const me = process.getuid?.() ?? -1;
  if (me !== 0 && me !== owner.uid) return `${dataDir} belongs to uid ${owner.uid}, and pgops runs as uid ${me}`;
  const args = [
    'restart',
    '-D',
    dataDir,
    '-m',
    'fast',
    '-w',
    '-t',
    '300',
    '-l',
    path.join(dataDir, 'pgops-restart.log'),
  ];
  return {
    describe: `${pgCtl} ${args.join(' ')}`,
    run: async () => {
      await run(pgCtl, args, {
        uid: owner.uid,
        gid: owner.gid,
        timeout: 330_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      });
    },
  };
}

/**
 * Server backends seen from outside PostgreSQL: a backend still authenticating is not in pg_stat_activity
 * before version 18, but its process title is ("postgres: USER DB 127.0.0.1(PORT) authentication"),
 * and Linux shows it in /proc/PID/cmdline. The test servers run on this machine.
 *
 * Only the backends of the server on `serverPort` count: they are the children of the postmaster started with
 * `-p serverPort`. Another run on the same machine (a second checkout, a loaded CI run) has backends of the
 * same user on its own servers, which must not answer for ours.
 */
import * as fs from 'node:fs';

function processes(): Array<{ pid: string; argv: string[] }> {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        return [{ pid, argv: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') }];
      } catch {
        return [];
      }
    });
}

/** The parent's pid, from /proc/PID/stat (the field after the parenthesised name, which may hold spaces). */
function parentOf(pid: string): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  } catch {
    return undefined;
  }
}

/** Backends of the server listening on `serverPort` that are authenticating a TCP client as `user`. */
export function authenticatingBackends(user: string, serverPort: number): number {
  const all = processes();
  const postmasters = new Set(
    all.filter(({ argv }) => argv.some((a, i) => a === '-p' && argv[i + 1] === String(serverPort))).map((p) => p.pid),
  );
  if (postmasters.size === 0) throw new Error(`no postmaster started with -p ${serverPort} on this machine`);
  return all.filter(({ pid, argv }) => {
    const title = argv.join(' ');
    return (
      title.startsWith('postgres:') &&
      title.includes(` ${user} `) &&
      / 127\.0\.0\.1\(\d+\) authentication/.test(title) &&
      postmasters.has(parentOf(pid) ?? '')
    );
  }).length;
}

/** Polls `count` until `done(n)` or `timeoutMs` has passed; returns the last count. */
export async function countUntil(
  count: () => number,
  done: (n: number) => boolean,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = count();
    if (done(n) || Date.now() > deadline) return n;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

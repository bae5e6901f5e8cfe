/**
 * Server backends seen from outside PostgreSQL: a backend still authenticating is not in pg_stat_activity
 * before version 18, but its process title is ("postgres: USER DB 127.0.0.1(PORT) authentication"),
 * and Linux shows it in /proc/PID/cmdline. The test servers run on this machine.
 */
import * as fs from 'node:fs';

/** Backends authenticating a TCP client as `user`, on any local server. */
export function authenticatingBackends(user: string): number {
  let n = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let title = '';
    try {
      title = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (
      title.startsWith('postgres:') &&
      title.includes(` ${user} `) &&
      / 127\.0\.0\.1\(\d+\) authentication/.test(title)
    )
      n += 1;
  }
  return n;
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

/**
 * bench:activity — what a refresh of the Activity view costs with 300 client sessions, next to the bare SQL it
 * runs. One dedicated PostgreSQL 18 server (started and stopped here) with 300 sessions: most idle, some idle in a
 * transaction, some running pg_sleep, and a lock queue (one holder, sessions waiting behind it) so that
 * pg_blocking_pids and pg_locks have work. loadActivity (what the view does at each refresh outside the tree: one
 * query, rows mapped, texts redacted, the blocking tree built, a wait-history point added) alternates with the same
 * statement sent raw, after a warm-up; medians
 * printed, and the target (view ≤ 1.2 × bare + 5 ms). A benchmark, not a test: it asserts nothing.
 */
import { Client } from 'pg';
import { openTargetSession } from '../src/core/conn/open';
import { activitySql, readActivity } from '../src/core/ops/activity';
import { loadActivity } from '../src/core/ops/activityLoad';
import { WaitHistory } from '../src/core/ops/waitHistory';
import { embeddedBinaries } from '../src/core/sandbox/binaries';
import type { TestServer } from '../test/support/servers';
import { repoRoot, startTestServer } from '../test/support/servers';
import { median, time } from './timing';

const sessions = 300;
const idleInTransaction = 30;
const sleeping = 20;
const waiting = 10;
const rounds = Number(process.env.ACTIVITY_ROUNDS ?? 200);

async function openSessions(server: TestServer): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < sessions; i += 25) {
    const batch = Array.from({ length: Math.min(25, sessions - i) }, (_, k) => {
      const c = new Client({
        host: server.socketDir,
        port: server.port,
        user: 'postgres',
        database: 'postgres',
        application_name: `bench client ${i + k}`,
      });
      c.on('error', () => undefined);
      return c;
    });
    await Promise.all(batch.map((c) => c.connect()));
    clients.push(...batch);
  }
  return clients;
}

/** Puts the sessions in their states; the queries left running end when their clients close. */
async function shape(clients: Client[]): Promise<void> {
  await clients[0].query('CREATE TABLE bench_locked (id int)');
  let next = 0;
  const holder = clients[next++];
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE bench_locked IN ACCESS EXCLUSIVE MODE');
  for (let i = 0; i < waiting; i++)
    void clients[next++].query('SELECT count(*) FROM bench_locked').catch(() => undefined);
  for (let i = 0; i < sleeping; i++) void clients[next++].query('SELECT pg_sleep(3600)').catch(() => undefined);
  for (let i = 0; i < idleInTransaction; i++) {
    const c = clients[next++];
    await c.query('BEGIN');
    await c.query('SELECT txid_current()');
  }
  // the rest ran a statement and went idle, like a pool's connections
  await Promise.all(clients.slice(next).map((c) => c.query("SELECT 'bench idle', now()")));
}

async function main(): Promise<void> {
  const server = await startTestServer(embeddedBinaries(repoRoot), { settings: { max_connections: '400' } });
  const reader = await openTargetSession(server.target(), {
    applicationName: 'pgops bench',
    statementTimeoutMs: 60_000,
    lockTimeoutMs: 1000,
    readOnly: true,
  });
  let clients: Client[] = [];
  try {
    clients = await openSessions(server);
    await shape(clients);
    const version = Number(
      (await reader.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v,
    );
    const sql = activitySql(version);
    for (const deadline = Date.now() + 60_000; ;) {
      const snap = await readActivity(reader, version);
      if (snap.sessions.filter((s) => s.blockedBy.length > 0).length >= waiting) break;
      if (Date.now() > deadline) throw new Error(`${waiting} sessions did not queue for the lock within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const counts = (await readActivity(reader, version, { includeIdle: true })).sessions.length;
    const cases = [
      { name: 'default (idle hidden)', includeIdle: false },
      { name: '--all (idle included)', includeIdle: true },
    ];
    const lines: string[] = [];
    for (const c of cases) {
      const args = [c.includeIdle, false];
      const history = new WaitHistory();
      const view = () => loadActivity(reader, version, { includeIdle: c.includeIdle }, history);
      const bare = () => reader.query(sql, args);
      const rows = (await bare()).rows.length;
      for (let i = 0; i < 5; i++) {
        await view();
        await bare();
      }
      const v: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        v.push(await time(view));
        b.push(await time(bare));
      }
      const vm = median(v);
      const bm = median(b);
      const met = vm <= 1.2 * bm + 5 ? 'met' : '**missed**';
      lines.push(
        `| ${c.name} | ${rows} | ${vm.toFixed(2)} ms | ${bm.toFixed(2)} ms | ${(vm / bm).toFixed(2)} | ` +
          `${(vm - bm).toFixed(2)} ms | ${met} |`,
      );
    }
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    process.stdout.write(
      [
        `bench:activity on PostgreSQL ${Math.floor(version / 10000)}: ${counts} sessions besides the reader ` +
          `(${sessions} bench clients: ${waiting} waiting for a lock, ${sleeping} in pg_sleep, ${idleInTransaction} idle ` +
          `in a transaction), ${rounds} alternating refreshes per case (medians), ${stamp} UTC`,
        '',
        '| refresh | rows | loadActivity median | bare SQL median | ratio | difference | target ≤ 1.2× + 5 ms |',
        '|---|---|---|---|---|---|---|',
        ...lines,
        '',
      ].join('\n'),
    );
  } finally {
    await reader.end();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

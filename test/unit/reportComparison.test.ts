/**
 * compareRuns on reports built in the test: the rules behind the summary (which test is chosen, how
 * waits, statements and settings are ranked) with numbers known in advance. The end-to-end
 * comparison of real pgbench runs is test/integration/benchCompare.test.ts.
 */
import * as assert from 'node:assert/strict';
import type { IterationResult, Report } from '../../src/core/report';
import { joinReports, newReport, setItem, tableItem } from '../../src/core/report';
import { compareRuns, withUnit } from '../../src/core/report/comparison';
import { iterationLabel } from '../../src/protocol/report';

function iteration(index: number, tps: number, extra: Partial<IterationResult> = {}): IterationResult {
  return {
    index,
    value: 4,
    clients: 4,
    status: 'complete',
    tps,
    latencyAvgMs: 4000 / tps,
    latencyStddevMs: null,
    initialConnectionMs: null,
    processed: null,
    failed: 0,
    skipped: 0,
    ...extra,
  };
}

function reportWith(name: string, iterations: IterationResult[], settings: string[][]): Report {
  const r = newReport({ reportName: name });
  r.pgops!.iterations = iterations;
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem('settings', ['name', 'setting', 'unit', 'source', 'non_default'], settings),
  );
  return r;
}

/** A per-second series around `level`, with a slow wave so neighbouring seconds are correlated. */
function series(level: number, seconds: number) {
  return Array.from({ length: seconds }, (_, i) => ({
    t: i + 1,
    tps: level * (1 + 0.01 * Math.sin(i / 3)),
    latencyMs: 1,
  }));
}

const files = { a: 'a.pgperf.json', b: 'b.pgperf.json' };
const base = [
  ['port', '5432', null, 'default', false],
  ['shared_buffers', '16384', '8kB', 'configuration file', true],
  ['work_mem', '64', 'kB', 'database', true],
  ['zzz_custom', 'x', null, 'default', false],
] as unknown as string[][];
const changed = [
  ['port', '5433', null, 'default', false],
  ['shared_buffers', '16384', '8kB', 'configuration file', true],
  ['work_mem', '65536', 'kB', 'database', true],
  ['zzz_custom', 'y', null, 'default', false],
] as unknown as string[][];

describe('comparing two runs', () => {
  it('writes settings as postgresql.conf does', () => {
    assert.equal(withUnit('65536', 'kB'), '64MB');
    assert.equal(withUnit('16384', '8kB'), '128MB');
    assert.equal(withUnit('1000', 'kB'), '1000kB');
    assert.equal(withUnit('200', 'ms'), '200ms');
    assert.equal(withUnit('-1', 'kB'), '-1kB');
    assert.equal(withUnit('on', ''), 'on');
  });

  it('tests one run each on batch means of the per-second series, and repeats with Welch on the runs', () => {
    const one = compareRuns(
      reportWith('a', [iteration(0, 1000, { series: series(1000, 21) })], base),
      reportWith('b', [iteration(0, 900, { series: series(900, 21) })], base),
      files,
    );
    assert.equal(one.tps.method, 'welch-batch-means');
    assert.match(one.tps.basis, /5 batches of the per-second series \(20 and 20 s\)/);
    assert.equal(one.tps.significant, true);
    assert.ok(one.tps.ci95![0] < 0.9 && 0.9 < one.tps.ci95![1], JSON.stringify(one.tps.ci95));
    assert.match(one.summary[0], /^B is 10% ± [\d.]+% slower than A in throughput \(significant, p = < 0\.001/);

    const repeats = compareRuns(
      reportWith('a', [iteration(0, 1000), iteration(1, 1010), iteration(2, 990)], base),
      reportWith('b', [iteration(0, 1001), iteration(1, 1012), iteration(2, 985)], base),
      files,
    );
    assert.equal(repeats.tps.method, 'welch-repeats');
    assert.equal(repeats.tps.significant, false);
    // SciPy's ttest_ind(equal_var=False) on these numbers: p = 0.948964779100762
    assert.ok(Math.abs(repeats.tps.p! - 0.948964779100762) < 1e-9);
  });

  it('calls a difference inside the noise band not significant, however small p is', () => {
    const a = [iteration(0, 1000), iteration(1, 1000.5), iteration(2, 999.5)];
    const b = [iteration(0, 1010), iteration(1, 1010.5), iteration(2, 1009.5)];
    const c = compareRuns(reportWith('a', a, base), reportWith('b', b, base), files);
    assert.ok(c.tps.p! < 0.001);
    assert.equal(c.tps.significant, false, '1% is inside ±2%');
    assert.equal(
      compareRuns(reportWith('a', a, base), reportWith('b', b, base), files, { noise: 0 }).tps.significant,
      true,
    );
  });

  it('ranks wait events by their shift and statements by how much their time moved', () => {
    const w = (type: string, event: string, samples: number) => ({ type, event, samples });
    const s = (queryid: string, calls: number, meanMs: number, temp: number) => ({
      queryid,
      query: `SELECT ${queryid}`,
      calls,
      totalMs: calls * meanMs,
      meanMs,
      rows: calls,
      tempBlksWritten: temp * calls,
    });
    const a = iteration(0, 1000, {
      waitEvents: [w('CPU', 'Running', 80), w('IO', 'BufFileWrite', 20)],
      topStatements: [s('1', 1000, 2, 10), s('2', 1000, 0.1, 0)],
    });
    const b = iteration(0, 1500, {
      waitEvents: [w('CPU', 'Running', 100)],
      topStatements: [s('1', 1500, 1, 0), s('2', 1500, 0.1, 0)],
    });
    const c = compareRuns(reportWith('a', [a], base), reportWith('b', [b], changed), files);
    assert.deepEqual(
      c.waits.map((x) => [x.event, x.a, x.b, x.deltaPp]),
      [
        ['CPU:Running', 80, 100, 20],
        ['IO:BufFileWrite', 20, 0, -20],
      ],
    );
    assert.deepEqual(
      c.statements.map((x) => [x.queryid, x.meanChangePct, x.a?.tempBlksWrittenPerCall, x.b?.tempBlksWrittenPerCall]),
      [
        ['1', -50, 10, 0],
        ['2', 0, 0, 0],
      ],
    );
    // work_mem explains temp files; port only says where the server listens
    assert.deepEqual(
      c.settings.map((x) => [x.name, x.a, x.b]),
      [
        ['work_mem', '64kB', '64MB'],
        ['zzz_custom', 'x', 'y'],
        ['port', '5432', '5433'],
      ],
    );
    assert.equal(c.tps.significant, null, 'one run each and no series: no test');
    assert.match(c.summary.join('\n'), /Waits shifted: CPU:Running \+20 pp \(80% → 100%\); IO:BufFileWrite -20 pp/);
    assert.match(
      c.summary.join('\n'),
      /statement 'SELECT 1': mean time -50% \(2 → 1 ms\), temp blocks written per call 10 → 0/,
    );
    assert.match(c.summary.join('\n'), /Settings differ: work_mem 64kB → 64MB \(and 2 more\)\./);
  });

  it('compares at the largest value both reports have, or at the one asked for', () => {
    const two = (name: string) =>
      reportWith(
        name,
        [iteration(0, 100, { value: 1, clients: 1 }), iteration(1, 400), iteration(2, 500, { value: 8, clients: 8 })],
        base,
      );
    const c = compareRuns(
      two('a'),
      reportWith('b', [iteration(0, 100, { value: 1, clients: 1 }), iteration(1, 410)], base),
      files,
    );
    assert.deepEqual([c.value, c.otherValues], [4, [1]]);
    assert.equal(compareRuns(two('a'), two('b'), files, { value: 1 }).value, 1);
    assert.throws(
      () => compareRuns(two('a'), two('b'), files, { value: 2 }),
      /a\.pgperf\.json has no complete iteration at pgbench_clients 2/,
    );
  });
});

describe("the report viewer's iteration labels", () => {
  it('name the duration in a duration sweep, the clients in a client sweep, and the run of a repeated value', () => {
    const it = iteration(0, 100, { value: 30, clients: 8, durationS: 30 });
    assert.equal(iterationLabel(it, 'pgbench_time'), '30 s, 8 clients');
    assert.equal(iterationLabel({ ...it, value: 8, durationS: 10 }, 'pgbench_clients'), '8 clients');
    assert.equal(iterationLabel({ ...it, repeat: 1 }, 'pgbench_clients'), '8 clients, run 2');
    assert.equal(
      iterationLabel({ ...it, repeat: 0, settings: { work_mem: '64kB', jit: 'off' } }, 'pgbench_clients'),
      'work_mem=64kB, jit=off, 8 clients, run 1',
    );
  });
});

describe('a join compares every report with the reference and shows the spread', () => {
  it('adds the comparison (ratio, interval, significance, test) and the tps spread per value', () => {
    const runs = (tps: number[]) => tps.map((t, i) => iteration(i, t, { repeat: i }));
    const inputs = [
      { file: '/r/ref.pgperf.json', report: reportWith('ref', runs([1000, 1010, 990]), base) },
      { file: '/r/same.pgperf.json', report: reportWith('same', runs([1001, 1012, 985]), base) },
      { file: '/r/slow.pgperf.json', report: reportWith('slow', runs([800, 805, 795]), base) },
    ];
    const task = { description: 'settings equal', items: ['sections.db.reports.pg_settings.data'] };
    const merged = joinReports(inputs, { task, reportName: 'j', reference: 'ref' });
    const cmp = merged.sections.result.reports.comparison;
    assert.deepEqual(cmp.theader?.slice(0, 2), ['report', 'pgbench_clients']);
    const rows = cmp.data as Array<Array<string | number | null>>;
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[4], r[7], r[8]]),
      [
        ['same', 4, 0.999, 'no', '3 and 3 runs'],
        ['slow', 4, 0.8, 'yes', '3 and 3 runs'],
      ],
    );
    assert.equal(rows[0][6], '0.949', "SciPy's p for these runs");
    const spread = merged.sections.result.reports.tps_spread.data as number[][];
    assert.equal(spread.length, 1);
    assert.deepEqual(spread[0].slice(0, 3), [4, 9, 933.1]);
    const why = merged.sections.result.reports.comparison_summary.data as string;
    assert.match(
      why,
      /^same against ref at pgbench_clients 4 \(A = ref, B = same\):\n {2}B is 0\.1% ± [\d.]+% slower than A/,
    );
    assert.match(
      why,
      /\n\nslow against ref at pgbench_clients 4 \(A = ref, B = slow\):\n {2}B is 20% ± [\d.]+% slower than A in throughput \(significant/,
    );
    // the ratio table takes a repeated value at the mean of its runs
    const ratio = merged.sections.result.reports.tps_ratio.data as number[][];
    assert.deepEqual(ratio[0], [4, 1000, 999.3, 0.999, 800, 0.8]);
  });
});

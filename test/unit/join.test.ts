import * as assert from 'node:assert/strict';
import { PgOpsError } from '../../src/core/errors';
import { newReport, plainTextItem, setItem, tableItem, pgbenchOutputsItem } from '../../src/core/report/items';
import type { JoinInput } from '../../src/core/report/join';
import { JoinMismatchError, joinReports } from '../../src/core/report/join';
import type { IterationResult, Report } from '../../src/core/report/model';
import { validateReport } from '../../src/core/report/read';
import { joinCandidates } from '../../src/core/report/joinTask';
import { jsonEqual } from '../../src/core/report/compare';
import { toolVersion } from '../../src/core/version';

function iteration(clients: number, tps: number): IterationResult {
  return {
    index: 0,
    value: clients,
    clients,
    status: 'complete',
    tps,
    latencyAvgMs: (1000 * clients) / tps,
    latencyStddevMs: 0.5,
    initialConnectionMs: 3,
    processed: Math.round(tps * 10),
    failed: 0,
    skipped: 0,
    durationS: 10,
  };
}

/** A small benchmark report built the way the bench runner builds one. */
function report(
  name: string,
  opts: { version?: string; cpu?: string; settings?: Array<[string, string]>; tps?: number[]; order?: 'reversed' } = {},
): JoinInput {
  const r = newReport({ reportName: name, startedAt: new Date('2026-11-02T10:00:00Z') });
  const sysItems: Array<[string, string]> = [
    ['uname_a', 'Linux 6.1 x86_64\n'],
    ['cpu_info', opts.cpu ?? 'CPU(s): 8\n'],
    ['total_ram', '31 GB\n'],
  ];
  for (const [k, v] of opts.order === 'reversed' ? [...sysItems].reverse() : sysItems)
    setItem(r, 'system', k, plainTextItem(k, v));
  setItem(
    r,
    'db',
    'version_major',
    plainTextItem('PostgreSQL major version', opts.version ?? 'PostgreSQL 16.4', { state: 'hidden' }),
  );
  setItem(
    r,
    'db',
    'pg_settings',
    tableItem(
      'PostgreSQL settings',
      ['name', 'setting'],
      opts.settings ?? [
        ['max_connections', '100'],
        ['shared_buffers', '16384'],
        ['work_mem', '4096'],
      ],
    ),
  );
  const its = (opts.tps ?? [1000, 1800]).map((t, i) => ({ ...iteration([1, 4][i] ?? i + 1, t), index: i }));
  (r.pgops as NonNullable<Report['pgops']>).iterations = its;
  setItem(r, 'result', 'pgbench_outputs', pgbenchOutputsItem(its));
  return { file: `/reports/${name}.pgperf.json`, report: r };
}

const task = (...items: string[]) => ({ description: 'test', items });
const versionTask = task('sections.db.reports.version_major.data');

describe('join of reports', () => {
  it('keeps items equal in all reports once and marks nothing as different', () => {
    const merged = joinReports([report('a'), report('b')], { task: versionTask, reportName: 'j' });
    assert.equal(merged.report_name, 'j');
    assert.equal(merged.sections.system.reports.cpu_info.data, 'CPU(s): 8\n');
    assert.equal(merged.sections.db.reports.version_major.data, 'PostgreSQL 16.4');
    assert.deepEqual(merged.pgops?.join?.differing, []);
    assert.ok(merged.pgops?.join?.matched.includes('sections.db.reports.version_major.data'));
    assert.doesNotThrow(() => validateReport(JSON.parse(JSON.stringify(merged)), 'merged.json'));
    assert.deepEqual(merged.pgops?.tool, { name: 'pgops', version: toolVersion });
  });

  it('stops on a listed item that differs, naming item, reference, differing report and a diff', () => {
    let caught: unknown;
    try {
      joinReports([report('a'), report('b'), report('c', { version: 'PostgreSQL 17.2' })], {
        task: versionTask,
        reportName: 'j',
      });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof JoinMismatchError, String(caught));
    assert.equal(caught.item, 'sections.db.reports.version_major.data');
    assert.equal(caught.reference, 'a');
    assert.equal(caught.differing, 'c');
    assert.match(caught.message, /version_major/);
    assert.match(caught.message, /reference report "a"/);
    assert.match(caught.message, /differing report "c"/);
    assert.match(caught.diff, /- PostgreSQL 16\.4/);
    assert.match(caught.diff, /\+ PostgreSQL 17\.2/);
  });

  it('uses the chosen reference report (by report name or file name) and puts it first', () => {
    assert.throws(
      () =>
        joinReports([report('a'), report('b', { version: 'PostgreSQL 17.2' })], {
          task: versionTask,
          reportName: 'j',
          reference: 'b.pgperf.json',
        }),
      (err: unknown) => err instanceof JoinMismatchError && err.reference === 'b' && err.differing === 'a',
    );
    const merged = joinReports([report('a'), report('b', { cpu: 'CPU(s): 16\n' })], {
      task: versionTask,
      reportName: 'j',
      reference: 'b',
    });
    assert.deepEqual(
      merged.pgops?.join?.reports.map((r) => r.name),
      ['b', 'a'],
    );
    assert.throws(
      () => joinReports([report('a'), report('b')], { task: versionTask, reportName: 'j', reference: 'zzz' }),
      /reference report "zzz" is not among/,
    );
  });

  it('keeps unlisted differing items side by side for every report, in report order', () => {
    // pg_perfbench would list only a and c here (b matched the reference before the item became a Diff).
    const merged = joinReports([report('a'), report('b'), report('c', { cpu: 'CPU(s): 16\n' })], {
      task: versionTask,
      reportName: 'j',
    });
    const cpu = merged.sections.system.reports.cpu_info;
    assert.match(cpu.header, / \| Diff$/);
    assert.deepEqual(cpu.data, [
      ['a', 'CPU(s): 8\n'],
      ['b', 'CPU(s): 8\n'],
      ['c', 'CPU(s): 16\n'],
    ]);
    assert.deepEqual(merged.pgops?.join?.differing, ['sections.system.reports.cpu_info.data']);
  });

  it('shows pg_settings differences as a table of only the differing settings: setting | A | B', () => {
    const merged = joinReports(
      [
        report('a'),
        report('b', {
          settings: [
            ['max_connections', '100'],
            ['shared_buffers', '32768'],
            ['work_mem', '4096'],
            ['jit', 'off'],
          ],
        }),
      ],
      { task: versionTask, reportName: 'j' },
    );
    const s = merged.sections.db.reports.pg_settings;
    assert.equal(s.item_type, 'table');
    assert.deepEqual(s.theader, ['setting', 'a', 'b']);
    assert.deepEqual(s.data, [
      ['jit', null, 'off'],
      ['shared_buffers', '16384', '32768'],
    ]);
  });

  it('does not depend on the order of items in the reports', () => {
    const merged = joinReports([report('a'), report('b', { order: 'reversed' })], {
      task: task('sections.system.reports.cpu_info.data', 'sections.system.reports.uname_a.data'),
      reportName: 'j',
    });
    assert.deepEqual(merged.pgops?.join?.differing, []);
    assert.deepEqual(Object.keys(merged.sections.system.reports), ['uname_a', 'cpu_info', 'total_ram']);
  });

  it('tolerates an unlisted item missing in one report (kept side by side, null where absent)', () => {
    const b = report('b');
    delete b.report.sections.system.reports.total_ram;
    const merged = joinReports([report('a'), b], { task: versionTask, reportName: 'j' });
    assert.deepEqual(merged.sections.system.reports.total_ram.data, [
      ['a', '31 GB\n'],
      ['b', null],
    ]);
  });

  it('refuses a listed item missing in a report, naming the item, the report and its file', () => {
    const b = report('b');
    delete b.report.sections.db.reports.version_major;
    assert.throws(
      () => joinReports([report('a'), b], { task: versionTask, reportName: 'j' }),
      (err: unknown) =>
        PgOpsError.is(err, 'join.missing') &&
        /sections\.db\.reports\.version_major\.data is missing in report "b" \(\/reports\/b\.pgperf\.json\)/.test(
          err.message,
        ),
    );
  });

  it("holds every report's results, an overlaid tps chart and a ratio table against the reference", () => {
    const merged = joinReports([report('a', { tps: [1000, 2000] }), report('b', { tps: [1500, 1000] })], {
      task: versionTask,
      reportName: 'j',
    });
    const outputs = merged.sections.result.reports.pgbench_outputs.data as Array<[string, unknown[]]>;
    assert.deepEqual(
      outputs.map((o) => o[0]),
      ['a', 'b'],
    );
    assert.equal(outputs[1][1].length, 2);
    const chart = merged.sections.result.reports.chart.data as { series: Array<{ name: string; data: number[][] }> };
    assert.deepEqual(
      chart.series.map((s) => s.name),
      ['a', 'b'],
    );
    assert.deepEqual(chart.series[1].data, [
      [1, 1500],
      [4, 1000],
    ]);
    const ratio = merged.sections.result.reports.tps_ratio;
    assert.deepEqual(ratio.theader, ['pgbench_clients', 'a tps', 'b tps', 'b / a']);
    assert.deepEqual(ratio.data, [
      [1, 1000, 1500, 1.5],
      [4, 2000, 1000, 0.5],
    ]);
    assert.deepEqual(
      merged.pgops?.join?.results.map((r) => r.iterations.length),
      [2, 2],
    );
  });

  it('joins 10 reports and lists all 10 side by side for a differing item', () => {
    const inputs = Array.from({ length: 10 }, (_, i) =>
      report(`r${i}`, { cpu: i % 2 ? 'CPU(s): 16\n' : 'CPU(s): 8\n', tps: [1000 + i, 2000 + i] }),
    );
    const merged = joinReports(inputs, { task: versionTask, reportName: 'ten' });
    assert.equal((merged.sections.system.reports.cpu_info.data as unknown[]).length, 10);
    assert.equal((merged.sections.result.reports.chart.data as { series: unknown[] }).series.length, 10);
    assert.equal((merged.sections.result.reports.tps_ratio.theader as string[]).length, 2 + 2 * 9);
  });

  it('gives reports with the same report_name distinct names from their files', () => {
    const a = report('same');
    const b = { ...report('same', { cpu: 'CPU(s): 2\n' }), file: '/reports/other.json' };
    const merged = joinReports([a, b], { task: versionTask, reportName: 'j' });
    assert.deepEqual(
      merged.pgops?.join?.reports.map((r) => r.name),
      ['same', 'other'],
    );
  });

  it('shows the part of a long line where the listed item differs', () => {
    const long = (dir: string) =>
      `/usr/bin/pgbench -c 1 -j 1 -T 1 -P 1 -l --log-prefix=/tmp/${dir}/it0 --failures-detailed --no-vacuum postgres`;
    const a = report('a');
    const b = report('b');
    setItem(
      a.report,
      'benchmark',
      'options',
      tableItem('options', ['iteration number', 'pgbench_options'], [[0, long('run-AAAA')]]),
    );
    setItem(
      b.report,
      'benchmark',
      'options',
      tableItem('options', ['iteration number', 'pgbench_options'], [[0, long('run-BBBB')]]),
    );
    assert.throws(
      () => joinReports([a, b], { task: task('sections.benchmark.reports.options.data'), reportName: 'j' }),
      (err: unknown) =>
        err instanceof JoinMismatchError &&
        /at data\[0\]\[1\]\n {2}- …[^\n]*run-AAAA/.test(err.diff) &&
        /\+ …[^\n]*run-BBBB/.test(err.diff),
    );
  });

  it('offers for an ad-hoc task the items every report has (results excluded), marking which are equal', () => {
    const b = report('b', { cpu: 'CPU(s): 2\n' });
    delete b.report.sections.system.reports.total_ram;
    const candidates = joinCandidates([report('a').report, b.report], jsonEqual as (x: unknown, y: unknown) => boolean);
    assert.deepEqual(
      candidates.map((c) => [c.path, c.equal]),
      [
        ['sections.system.reports.uname_a.data', true],
        ['sections.system.reports.cpu_info.data', false],
        ['sections.db.reports.version_major.data', true],
        ['sections.db.reports.pg_settings.data', true],
      ],
    );
  });

  it('needs at least two reports', () => {
    assert.throws(() => joinReports([report('a')], { task: versionTask, reportName: 'j' }), /at least 2 reports/);
  });
});

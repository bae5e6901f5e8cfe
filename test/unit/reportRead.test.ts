import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { joinReports } from '../../src/core/report/join';
import { readJoinTask } from '../../src/core/report/joinTask';
import { loadReportsFromDir } from '../../src/core/report/loadDir';
import { ReportFormatError, readReport } from '../../src/core/report/read';
import { summarizeReport } from '../../src/core/report/summary';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'reports');
const fixture = (...p: string[]) => path.join(fixtures, ...p);

describe('reading pg_perfbench reports', () => {
  it('reads a benchmark report with plain_text, table, chart and link items and nested lshw cells', () => {
    const r = readReport(fixture('perfbench', 'same-host', 'benchmark-config-a.json'));
    const sys = r.sections.system.reports;
    assert.equal(sys.uname_a.item_type, 'plain_text');
    assert.equal(sys.sysctl_net_ipv4_tcp.state, 'hidden');
    const lshw = sys.lshw_system.data as unknown[][];
    assert.deepEqual((lshw[0][7] as Record<string, string>).chassis, 'desktop');
    assert.deepEqual((sys.lshw_processor.data as unknown[][])[0][6], ['cpu0', 'cpu1']);
    assert.equal(r.sections.result.reports.chart.item_type, 'chart');
    assert.equal(r.sections.result.reports.logs.item_type, 'link');
    const s = summarizeReport(r);
    assert.equal(s.name, 'benchmark-config-a');
    assert.match(s.serverVersion ?? '', /^PostgreSQL 16\.4/);
    assert.equal(s.host, '10.0.0.5');
    assert.deepEqual(
      s.iterations.map((i) => [i.value, i.tps]),
      [
        [5, 2149.87],
        [10, 3010.42],
      ],
    );
    assert.equal(s.maxTps, 3010.42);
  });

  it('reads a collect-sys-info report whose table holds a "Skipping invalid object" row and an error text item', () => {
    const r = readReport(fixture('perfbench', 'single', 'collect-sys-info.json'));
    assert.equal((r.sections.system.reports.lshw_storage.data as unknown[])[1], 'Skipping invalid object: 42');
    assert.match(r.sections.system.reports.lshw_power.data as string, /^Error generating report/);
    assert.deepEqual(summarizeReport(r).iterations, []);
  });

  it('reads a v1.0 report (no report_name, 5 result columns) using the file name', () => {
    const r = readReport(fixture('perfbench', 'single', 'legacy-v1.json'));
    assert.equal(r.report_name, 'legacy-v1');
    assert.deepEqual(
      summarizeReport(r).iterations.map((i) => [i.clients, i.processed, i.tps, i.durationS]),
      [[3, 17000, 1700.6, null]],
    );
  });

  it('reads a joined pg_perfbench report with Diff pairs in plain_text, table and link items', () => {
    const r = readReport(fixture('perfbench-joined', 'join_report.json'));
    assert.equal((r.sections.system.reports.cpu_info.data as unknown[][])[1][0], 'bench-host2');
    assert.equal((r.sections.result.reports.logs.data as unknown[][]).length, 2);
    assert.ok(summarizeReport(r).joined);
  });

  it('names file, JSON path and problem for a bad theader', () => {
    const file = fixture('broken', 'bad-theader.json');
    assert.throws(
      () => readReport(file),
      (err: unknown) =>
        err instanceof ReportFormatError &&
        err.jsonPath === 'sections.db.reports.pg_settings.theader' &&
        err.message.startsWith(`${file}: sections.db.reports.pg_settings.theader: expected an array of strings`),
    );
  });

  it('names the unknown item_type and where it is', () => {
    assert.throws(
      () => readReport(fixture('broken', 'bad-item-type.json')),
      /sections\.system\.reports\.cpu_info\.item_type: expected one of plain_text, table, chart, link, found "histogram"/,
    );
  });

  it('reports truncated JSON with its line', () => {
    assert.throws(
      () => readReport(fixture('broken', 'truncated.json')),
      /truncated\.json: \(top level\): not valid JSON: .*\(line 6, column 1\)/,
    );
  });

  it('joins the two same-host reports with the bundled same-host task: configs differ, environment matches', () => {
    const { inputs } = loadReportsFromDir(fixture('perfbench', 'same-host'));
    const task = readJoinTask(path.join(root, 'media', 'join-tasks', 'same-host-different-config.json'));
    const merged = joinReports(inputs, { task, reportName: 'cmp' });
    assert.deepEqual(merged.pgops?.join?.differing.sort(), ['sections.db.reports.pg_settings.data'].sort());
    assert.deepEqual(merged.sections.db.reports.pg_settings.data, [
      ['effective_cache_size', '31104', '19200'],
      ['shared_buffers', '21248', '11520'],
      ['work_mem', '10000', '5000'],
    ]);
    assert.deepEqual(
      (merged.sections.result.reports.tps_ratio.data as unknown[][]).map((r) => r[0]),
      [5, 10],
    );
  });

  it('refuses the same-host join of reports from different hosts, naming cpu_info', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-join-'));
    try {
      const b = JSON.parse(fs.readFileSync(fixture('perfbench', 'same-host', 'benchmark-config-b.json'), 'utf8')) as {
        sections: { system: { reports: { cpu_info: { data: string } } } };
      };
      b.sections.system.reports.cpu_info.data = b.sections.system.reports.cpu_info.data.replace(
        'CPU(s):              8',
        'CPU(s):              64',
      );
      fs.copyFileSync(fixture('perfbench', 'same-host', 'benchmark-config-a.json'), path.join(tmp, 'a.json'));
      fs.writeFileSync(path.join(tmp, 'b.json'), JSON.stringify(b));
      const task = readJoinTask(path.join(root, 'media', 'join-tasks', 'same-host-different-config.json'));
      assert.throws(
        () => joinReports(loadReportsFromDir(tmp).inputs, { task, reportName: 'x' }),
        (e: unknown) =>
          e instanceof Error &&
          e.message.endsWith(
            'sections.system.reports.cpu_info.data differs: reference report "benchmark-config-a", ' +
              `differing report "benchmark-config-b"\n  line 2 - CPU(s):${' '.repeat(14)}8\n  line 2 + CPU(s):${' '.repeat(14)}64`,
          ),
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('skips earlier join results and non-report JSON in an input directory', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-join-'));
    try {
      fs.copyFileSync(fixture('perfbench-joined', 'join_report.json'), path.join(tmp, 'old.json'));
      fs.copyFileSync(fixture('perfbench', 'same-host', 'benchmark-config-a.json'), path.join(tmp, 'a.json'));
      fs.writeFileSync(path.join(tmp, 'task.json'), '{"items": ["sections.db.reports.version_major.data"]}');
      const { inputs, skipped } = loadReportsFromDir(tmp);
      assert.deepEqual(
        inputs.map((i) => path.basename(i.file)),
        ['a.json'],
      );
      assert.deepEqual(
        skipped.map((s) => [path.basename(s.file), s.reason]),
        [
          ['old.json', 'an earlier join result'],
          ['task.json', 'not a report'],
        ],
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * Join of reports produced by real pgbench sweeps (helper runner `runSweep`, real pgbench 15) on the
 * harness servers: two runs on the same PostgreSQL join under the bundled same-host task; a run on
 * PostgreSQL 15 and one on 18 are refused on `version_major`, with the error naming item, reference,
 * differing report and the diff, and no merged report written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { findPgbench } from '../../src/core/bench/findPgbench';
import { validatePlan } from '../../src/core/bench/plan';
import { reportFileAt, writeReportFiles } from '../../src/core/report/files';
import { runSweep } from '../../src/core/bench/sweep';
import { JoinMismatchError, joinReports } from '../../src/core/report/join';
import { readJoinTask } from '../../src/core/report/joinTask';
import { loadReportsFromDir } from '../../src/core/report/loadDir';
import { readReport } from '../../src/core/report/read';
import { repoRoot, serverMatrix, sharedServer, tempDir } from '../support/servers';
import { itemText } from '../support/itemText';

const task = (name: string) => readJoinTask(path.join(repoRoot, 'media', 'join-tasks', `${name}.json`));

describe('join of reports from real sweeps on PostgreSQL 15 and 18', function () {
  this.timeout(240_000);
  let dir: string;
  const files: Record<string, string> = {};

  before(async () => {
    const majors = serverMatrix().map((b) => b.major);
    assert.ok(
      majors.includes(15) && majors.includes(18),
      `needs PostgreSQL 15 and 18 servers, found ${majors.join(', ')}`,
    );
    dir = tempDir('report-join');
    const pgbench = findPgbench().path;
    const runs: Array<[string, number]> = [
      ['pg15-run1', 15],
      ['pg15-run2', 15],
      ['pg18-run1', 18],
    ];
    for (const [name, major] of runs) {
      const plan = validatePlan({
        reportName: name,
        iterate: 'clients',
        values: [1, 2],
        durationS: 1,
        scale: 1,
        init: 'once',
        waits: { enabled: true, intervalMs: 200 },
      });
      const report = await runSweep({ plan, target: sharedServer(major).target(), pgbenchPath: pgbench });
      assert.equal(report.pgops?.status, 'complete', `${name}: ${report.pgops?.error?.message}`);
      const folder = path.join(dir, major === 15 ? 'same' : 'other');
      files[name] = writeReportFiles(reportFileAt({ folder }, report.report_name), report).json;
    }
    fs.copyFileSync(files['pg15-run1'], path.join(dir, 'other', path.basename(files['pg15-run1'])));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("joins two runs on the same PostgreSQL 15 under the same-host task, with both runs' results and the ratio table", () => {
    const { inputs } = loadReportsFromDir(path.join(dir, 'same'));
    // The bundled task unchanged: two runs of one plan record the same pgbench options (log prefix included).
    const merged = joinReports(inputs, { task: task('same-host-different-config'), reportName: 'same-host' });
    const j = merged.pgops?.join;
    assert.deepEqual(
      j?.reports.map((r) => r.name),
      ['pg15-run1', 'pg15-run2'],
    );
    assert.ok(j?.matched.includes('sections.db.reports.version_major.data'));
    assert.match(itemText(merged.sections.db.reports.version_major), /^PostgreSQL 15\./);
    assert.deepEqual(
      j?.results.map((r) => r.iterations.map((i) => i.value)),
      [
        [1, 2],
        [1, 2],
      ],
    );
    const ratio = merged.sections.result.reports.tps_ratio.data as Array<Array<number | null>>;
    assert.deepEqual(
      ratio.map((r) => r[0]),
      [1, 2],
    );
    for (const row of ratio) assert.ok(typeof row[3] === 'number' && row[3] > 0, `ratio row ${JSON.stringify(row)}`);
    // the second run compared with the first at each value, as pgops compare does, and the spread of both
    const cmp = merged.sections.result.reports.comparison.data as Array<Array<string | number | null>>;
    assert.deepEqual(
      cmp.map((r) => [r[0], r[1]]),
      [
        ['pg15-run2', 1],
        ['pg15-run2', 2],
      ],
    );
    for (const [i, row] of cmp.entries()) {
      assert.equal(row[4], ratio[i][3], 'the same ratio as the ratio table');
      assert.ok(['yes', 'no', 'not tested'].includes(String(row[7])), JSON.stringify(row));
    }
    assert.match(
      itemText(merged.sections.result.reports.comparison_summary),
      /^pg15-run2 against pg15-run1 at pgbench_clients 2 \(A = pg15-run1, B = pg15-run2\):\n {2}B is [\d.]+%/,
    );
    const spread = merged.sections.result.reports.tps_spread.data as number[][];
    assert.deepEqual(
      spread.map((r) => [r[0], r[1]]),
      [
        [1, 2],
        [2, 2],
      ],
    );
  });

  it('refuses PostgreSQL 15 against 18 on version_major (library): item, reference, differing report, diff', () => {
    const { inputs } = loadReportsFromDir(path.join(dir, 'other'));
    assert.throws(
      () => joinReports(inputs, { task: task('same-config-different-hosts'), reportName: 'x', reference: 'pg15-run1' }),
      (err: unknown) => {
        assert.ok(err instanceof JoinMismatchError, String(err));
        assert.equal(err.item, 'sections.db.reports.version_major.data');
        assert.equal(err.reference, 'pg15-run1');
        assert.equal(err.differing, 'pg18-run1');
        assert.match(err.diff, /- PostgreSQL 15\.\d+[\s\S]*\+ PostgreSQL 18\.\d+/);
        return true;
      },
    );
  });

  it('pgops join exits 1 on the version mismatch and writes no merged report', async () => {
    const out = path.join(dir, 'out');
    const stderr: string[] = [];
    const code = await main(
      [
        'join',
        '--task',
        'same-config-different-hosts',
        '--input-dir',
        path.join(dir, 'other'),
        '--reference',
        'pg15-run1',
        '--report-name',
        'cross',
        '--out',
        out,
      ],
      { out: () => undefined, err: (t) => stderr.push(t), env: {}, cwd: repoRoot },
    );
    assert.equal(code, 1);
    assert.match(
      stderr.join('\n'),
      /listed item sections\.db\.reports\.version_major\.data differs: reference report "pg15-run1", differing report "pg18-run1"/,
    );
    assert.ok(!fs.existsSync(path.join(out, 'cross.pgperf.json')));
  });

  it("pgops report show prints the real run's results", async () => {
    const lines: string[] = [];
    assert.equal(
      await main(['report', 'show', files['pg18-run1']], {
        out: (t) => lines.push(t),
        err: () => undefined,
        env: {},
        cwd: repoRoot,
      }),
      0,
    );
    const text = lines.join('\n');
    assert.match(text, /server: {2}PostgreSQL 18\./);
    assert.equal(text.split('\n').filter((l) => /^\s+[12]\s+[12]\s+[\d.]+\s+[\d.]+/.test(l)).length, 2, text);
    assert.equal(readReport(files['pg18-run1']).pgops?.iterations.length, 2);
  });
});

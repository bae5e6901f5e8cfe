/**
 * A sweep that is cancelled, and one whose server stops under it, both leave a valid report with
 * the finished iterations (status interrupted / failed), written atomically.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPgbench } from '../../src/core/bench/findPgbench';
import { validatePlan } from '../../src/core/bench/plan';
import { reportFileAt, writeReportFiles } from '../../src/core/report/files';
import type { SweepEvent } from '../../src/core/bench/sweep';
import { runSweep } from '../../src/core/bench/sweep';
import type { Report } from '../../src/core/report';
import { readReport } from '../../src/core/report';
import type { TestServer } from '../support/servers';
import { availableBinaries, forEachServer, startTestServer, tempDir } from '../support/servers';

const pgbenchPath = findPgbench().path;

function plan(name: string) {
  return validatePlan({ reportName: name, values: [1, 2], durationS: 4, scale: 1, topStatements: 3 });
}

/** Runs `action` once, `delayMs` after the second iteration starts. */
function onSecondIteration(delayMs: number, action: () => void): (e: SweepEvent) => void {
  let fired = false;
  return (e) => {
    if (e.type === 'iteration-start' && e.index === 1 && !fired) {
      fired = true;
      setTimeout(action, delayMs);
    }
  };
}

function checkFinishedIterationKept(report: Report, file: string, status: 'interrupted' | 'failed'): void {
  const reread = readReport(file);
  assert.equal(reread.pgops?.status, status);
  const its = reread.pgops?.iterations ?? [];
  assert.equal(its[0].status, 'complete');
  assert.ok((its[0].tps ?? 0) > 0);
  assert.deepEqual((reread.sections.result.reports.pgbench_outputs.data as unknown[][]).length, 1);
  assert.equal(its.length, report.pgops?.iterations.length);
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp file left behind',
  );
}

forEachServer('bench sweep cancelled', (srv) => {
  it('keeps the finished iteration, marks the run interrupted and stops pgbench', async function () {
    this.timeout(90_000);
    const out = tempDir('bench-cancel');
    try {
      const abort = new AbortController();
      const checkpoints: string[] = [];
      const report = await runSweep({
        plan: plan('cancelled'),
        target: srv().target(),
        pgbenchPath,
        signal: abort.signal,
        onEvent: onSecondIteration(1500, () => abort.abort()),
        checkpoint: (r) => {
          checkpoints.push(r.pgops?.status ?? '');
          writeReportFiles(reportFileAt({ folder: out }, r.report_name), r);
        },
      });
      const paths = writeReportFiles(reportFileAt({ folder: out }, report.report_name), report);
      assert.deepEqual(
        checkpoints,
        ['interrupted'],
        'the report was written after the first iteration, before the cancel',
      );
      assert.equal(report.pgops?.error?.message, 'The run was cancelled');
      assert.equal(report.pgops?.iterations[1]?.status, 'interrupted');
      checkFinishedIterationKept(report, paths.json, 'interrupted');
      const admin = await srv().admin();
      try {
        const left = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgbench (pgops)'",
        );
        assert.equal(left.rows[0].n, 0, 'no pgbench session is left running');
      } finally {
        await admin.end();
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('bench sweep whose server stops mid-iteration', function () {
  this.timeout(120_000);
  let server: TestServer | undefined;
  const binaries = availableBinaries().at(-1);

  before(async () => {
    assert.ok(binaries, 'no PostgreSQL binaries to start a dedicated server');
    server = await startTestServer(binaries);
  });
  after(async () => {
    await server?.stop();
  });

  it("keeps the finished iteration, marks the run failed with pgbench's error and still writes valid files", async () => {
    const out = tempDir('bench-stop');
    try {
      const s = server as TestServer;
      const report = await runSweep({
        plan: plan('server-stopped'),
        target: s.target(),
        pgbenchPath,
        onEvent: onSecondIteration(1500, () => {
          void s.stop();
        }),
      });
      const paths = writeReportFiles(reportFileAt({ folder: out }, report.report_name), report);
      assert.equal(report.pgops?.iterations[1]?.status, 'failed');
      assert.match(report.pgops?.error?.message ?? '', /^Iteration 1 \(pgbench_clients 2\) failed: /);
      assert.ok(report.pgops?.environmentNotes.some((n) => /database facts not collected after the sweep/.test(n)));
      checkFinishedIterationKept(report, paths.json, 'failed');
      assert.ok(fs.statSync(paths.html).size > 10_000);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

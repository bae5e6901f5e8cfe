import * as assert from 'node:assert/strict';
import { liveRunDone, liveRunStart, liveRunUpdate } from '../../src/core/bench/liveRun';
import { validatePlan } from '../../src/core/bench/plan';
import { PgOpsError } from '../../src/core/errors';
import { newReport } from '../../src/core/report/items';
import type { IterationResult } from '../../src/core/report/model';

const clientsPlan = validatePlan({ values: [1, 4, 8], durationS: 10 });
const timePlan = validatePlan({ iterate: 'time', values: [5, 10], clients: 2 });

const result: IterationResult = {
  index: 1,
  value: 4,
  clients: 4,
  status: 'complete',
  tps: 812.5,
  latencyAvgMs: 4.9,
  latencyStddevMs: 1.1,
  initialConnectionMs: 3,
  processed: 8125,
  failed: 0,
  skipped: 0,
  percentiles: { p50: 4.1, p90: 6, p95: 7.25, p99: 12, max: 30 },
  series: [{ t: 1, tps: 800, latencyMs: 5 }],
};

describe('live run: what the panel and the notification show of a sweep', () => {
  it('starts with the iteration name and values of the plan, naming where it runs', () => {
    assert.deepEqual(liveRunStart(clientsPlan, 'sandbox'), {
      type: 'start',
      title: 'pgbench sweep on sandbox',
      iterName: 'pgbench_clients',
      values: [1, 4, 8],
    });
    assert.equal((liveRunStart(timePlan, 'x') as { iterName: string }).iterName, 'pgbench_time');
  });

  it('shows a phase in the panel and as the notification line', () => {
    assert.deepEqual(liveRunUpdate({ type: 'phase', message: 'initializing (scale 1)' }, clientsPlan), {
      message: { type: 'phase', message: 'initializing (scale 1)' },
      progress: { message: 'initializing (scale 1)' },
    });
  });

  it('advances the notification by one share per iteration, the last share being the report', () => {
    const u = liveRunUpdate(
      { type: 'iteration-start', index: 2, value: 8, total: 3, commandLine: 'pgbench -c 8 -T 10' },
      clientsPlan,
    );
    assert.deepEqual(u.message, { type: 'iteration-start', index: 2, value: 8, commandLine: 'pgbench -c 8 -T 10' });
    assert.deepEqual(u.progress, { message: 'iteration 3/3: clients 8', increment: 25 });
    const t = liveRunUpdate({ type: 'iteration-start', index: 0, value: 5, total: 2, commandLine: 'c' }, timePlan);
    assert.equal(t.progress?.message, 'iteration 1/2: time 5');
  });

  it('sends only the charted fields of a progress point, and leaves the notification alone', () => {
    const u = liveRunUpdate(
      { type: 'progress', index: 0, value: 1, point: { t: 3, tps: 950.5, latencyMs: 1.05, stddevMs: 0.2, failed: 0 } },
      clientsPlan,
    );
    assert.deepEqual(u, { message: { type: 'progress', index: 0, point: { t: 3, tps: 950.5, latencyMs: 1.05 } } });
  });

  it('summarizes a finished iteration with its p95, or null without percentiles', () => {
    assert.deepEqual(liveRunUpdate({ type: 'iteration-end', index: 1, result }, clientsPlan), {
      message: {
        type: 'iteration-end',
        summary: { index: 1, value: 4, status: 'complete', tps: 812.5, latencyAvgMs: 4.9, p95Ms: 7.25 },
      },
    });
    const failed = { ...result, status: 'failed' as const, tps: null, latencyAvgMs: null, percentiles: null };
    const u = liveRunUpdate({ type: 'iteration-end', index: 1, result: failed }, clientsPlan);
    assert.deepEqual(u.message, {
      type: 'iteration-end',
      summary: { index: 1, value: 4, status: 'failed', tps: null, latencyAvgMs: null, p95Ms: null },
    });
  });

  it("ends with the report's status and error, or its iteration count, or the error that stopped it", () => {
    const report = newReport({ reportName: 'r' });
    const { pgops, ...perfbenchOnly } = report;
    assert.ok(pgops);
    // a pg_perfbench report has no pgops block: nothing says it completed
    assert.deepEqual(liveRunDone({ report: perfbenchOnly }), {
      type: 'done',
      status: 'failed',
      message: '0 iterations',
    });
    report.pgops = { ...pgops, status: 'complete', iterations: [result, result] };
    assert.deepEqual(liveRunDone({ report }), { type: 'done', status: 'complete', message: '2 iterations' });
    report.pgops = { ...pgops, status: 'interrupted', error: { message: 'cancelled by the user' } };
    assert.deepEqual(liveRunDone({ report }), {
      type: 'done',
      status: 'interrupted',
      message: 'cancelled by the user',
    });
    const err = new PgOpsError('x', 'pgbench not found', 'install it');
    assert.deepEqual(liveRunDone({ error: err }), { type: 'done', status: 'failed', message: 'pgbench not found' });
    assert.deepEqual(liveRunDone({ error: 'odd' }), { type: 'done', status: 'failed', message: 'odd' });
  });
});

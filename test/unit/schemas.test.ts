import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { defaultPlan, readPlanFile, validatePlan, writePlanFile } from '../../src/core/bench/plan';
import { fillResultSection } from '../../src/core/bench/benchReport';
import { newReport } from '../../src/core/report/items';
import { joinReports } from '../../src/core/report/join';
import { readJoinTask } from '../../src/core/report/joinTask';
import { readReport } from '../../src/core/report/read';
import type { JsonObject } from '../../src/core/report/model';
import { writeReportAtomic } from '../../src/core/report/write';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { jsonValidation: Array<{ fileMatch: string; url: string }> };
};
const schema = (name: string): object =>
  <object>JSON.parse(fs.readFileSync(path.join(root, 'schemas', `${name}.schema.json`), 'utf8'));
const fixture = (...p: string[]) => path.join(root, 'test', 'fixtures', 'reports', ...p);

/** A validator of one schema file; the errors come back as text naming the paths. */
function validatorOf(name: string): (value: unknown) => string[] {
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema(name));
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
  };
}

describe('JSON schemas of plan and report files', function () {
  this.timeout(30_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-schemas-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('are registered for *.pgbench-plan.json and *.pgperf.json in the manifest', () => {
    const registered = pkg.contributes.jsonValidation.map((v) => [v.fileMatch, v.url]);
    assert.deepEqual(registered, [
      ['*.pgbench-plan.json', './schemas/pgbench-plan.schema.json'],
      ['*.pgperf.json', './schemas/pgperf.schema.json'],
    ]);
  });

  it('accept the plan files pgops writes, and reject what validatePlan rejects', () => {
    const check = validatorOf('pgbench-plan');
    const file = path.join(tmp, 'sweep.pgbench-plan.json');
    writePlanFile(
      file,
      validatePlan({
        values: [1, 4],
        repeat: 3,
        durationS: 5,
        threads: 2,
        builtin: [{ name: 'select-only', weight: 3 }],
        files: [{ path: 'mine.sql', weight: 1 }],
        protocol: 'prepared',
        rate: 100,
        searchPath: ['bench', 'public'],
        transactionLog: { enabled: true, samplingRate: 0.5, keep: false },
      }),
    );
    assert.deepEqual(check(JSON.parse(fs.readFileSync(file, 'utf8'))), []);
    assert.deepEqual(check(defaultPlan()), []);
    assert.doesNotThrow(() => readPlanFile(file), 'the same file is a valid plan for pgops');

    for (const wrong of [
      { version: 1, valuse: [1] },
      { version: 1, iterate: 'threads' },
      { version: 1, searchPath: ['$user'] },
      { version: 2 },
    ]) {
      assert.notDeepEqual(check(wrong), [], `schema accepts ${JSON.stringify(wrong)}`);
      assert.throws(() => validatePlan(wrong as never), `validatePlan accepts ${JSON.stringify(wrong)}`);
    }
  });

  it("accept reports pgops writes (a sweep's, a join's) and pg_perfbench's, and reject a broken one", () => {
    const check = validatorOf('pgperf');
    const report = newReport({ reportName: 'schema-check', startedAt: new Date('2026-01-02T03:04:05Z') });
    report.pgops!.plan = JSON.parse(JSON.stringify(defaultPlan())) as JsonObject;
    report.pgops!.server = { version: 'PostgreSQL 18.4 on x86_64', major: 18, minor: '4' };
    report.pgops!.iterations = [
      {
        index: 0,
        value: 4,
        clients: 4,
        durationS: 10,
        status: 'complete',
        tps: 1234.5,
        latencyAvgMs: 3.2,
        latencyStddevMs: 0.4,
        initialConnectionMs: 5.1,
        processed: 12345,
        failed: 0,
        skipped: null,
        percentiles: { p50: 3, p90: 4, p95: 5, p99: 7, max: 12 },
        series: [{ t: 1, tps: 1200, latencyMs: 3.3 }],
        waitEvents: [{ type: 'CPU', event: 'CPU', samples: 40 }],
        topStatements: [
          {
            queryid: '-42',
            query: 'SELECT 1',
            calls: 10,
            totalMs: 1,
            meanMs: 0.1,
            rows: 10,
            sharedBlksHit: 0,
            sharedBlksRead: 0,
            tempBlksWritten: 0,
            walBytes: 0,
          },
        ],
        commandLine: ['pgbench', '-c', '4'],
      },
    ];
    // a second run of the same value: the plan repeats it
    report.pgops!.iterations.push({ ...report.pgops!.iterations[0], index: 1, repeat: 1, tps: 1200 });
    report.pgops!.iterations[0].repeat = 0;
    fillResultSection(report, report.pgops!.iterations, 'pgbench_clients');
    const file = path.join(tmp, 'schema-check.pgperf.json');
    writeReportAtomic(file, report);
    assert.deepEqual(check(JSON.parse(fs.readFileSync(file, 'utf8'))), []);
    assert.deepEqual(report.sections.result.reports.repeat_summary.data, [[4, 2, 1217.25, 219.182, 24.395, 3.2, 0]]);

    const sameHost = ['benchmark-config-a.json', 'benchmark-config-b.json'].map((f) => {
      const p = fixture('perfbench', 'same-host', f);
      return { file: p, report: readReport(p) };
    });
    for (const r of sameHost) assert.deepEqual(check(JSON.parse(fs.readFileSync(r.file, 'utf8'))), [], r.file);
    const task = readJoinTask(path.join(root, 'media', 'join-tasks', 'same-host-different-config.json'));
    const joined = joinReports(sameHost, { task, reportName: 'joined' });
    assert.deepEqual(check(JSON.parse(JSON.stringify(joined))), []);

    const broken: unknown = JSON.parse(fs.readFileSync(fixture('broken', 'bad-item-type.json'), 'utf8'));
    assert.notDeepEqual(check(broken), [], 'an unknown item_type is refused');
  });
});

/**
 * The consent rule for plans read from files (planReview.ts): a report's plan, a plan naming its own
 * programs, or one reading a file outside its folder needs consent; the review lists the exact
 * command lines and files without reading any script. Real files in a temp folder, symlinks included.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pgbenchHasFailuresDetailed } from '../../src/core/bench/commandLine';
import type { BenchPlan } from '../../src/core/bench/plan';
import { readPlanFile, validatePlan, writePlanFile } from '../../src/core/bench/plan';
import {
  describePlanReview,
  isInsideFolder,
  needsConsent,
  planConsentError,
  reviewPlan,
  sweepServerChanges,
} from '../../src/core/bench/planReview';
import { newReport } from '../../src/core/report/items';
import type { JsonObject } from '../../src/core/report/model';
import { writeReportAtomic } from '../../src/core/report/write';

const pgbench = {
  path: '/usr/lib/postgresql/15/bin/pgbench',
  version: 'pgbench (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)',
};
const endpoint = { host: '127.0.0.1', port: 5433, user: 'bench', database: 'tdb' };
const secret = 'not-to-be-read-S3cret';

describe('run plan review and consent', () => {
  let root: string;
  let folder: string;
  let outside: string;

  /** Writes `plan` as a plan file in the plan folder and reads it back the way the CLI and the extension do. */
  const planFile = (name: string, plan: Partial<BenchPlan>) => {
    const file = path.join(folder, `${name}.pgbench-plan.json`);
    writePlanFile(file, validatePlan({ values: [1, 2], durationS: 5, init: 'never', ...plan }));
    return readPlanFile(file);
  };
  const review = (read: ReturnType<typeof readPlanFile>) => reviewPlan(read.plan, read.source, pgbench, endpoint);

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-plan-review-'));
    folder = path.join(root, 'plans');
    outside = path.join(root, 'home');
    fs.mkdirSync(path.join(folder, 'scripts'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(folder, 'scripts', 'bump.sql'), `-- ${secret}\nSELECT 1;\n`);
    fs.writeFileSync(path.join(outside, '.pgpass'), `*:*:*:*:${secret}\n`);
    fs.symlinkSync(path.join(outside, '.pgpass'), path.join(folder, 'scripts', 'link.sql'));
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lets a plan file run its scripts inside its folder, listing the exact pgbench command lines', () => {
    const r = review(
      planFile('own', {
        builtin: [{ name: 'select-only', weight: 1 }],
        files: [{ path: 'scripts/bump.sql', weight: 3 }],
      }),
    );
    assert.deepEqual(r.reasons, []);
    assert.equal(needsConsent(r), false);
    const script = path.join(folder, 'scripts', 'bump.sql');
    assert.deepEqual(
      r.commands.map((c) => c.label),
      ['iteration 1', 'iteration 2'],
    );
    assert.equal(
      r.commands[1].line,
      `${pgbench.path} -c 2 -j 1 -T 5 -b select-only@1 -f ${script}@3 -P 1 -l --log-prefix=it1 --sampling-rate=0.01 ` +
        '--failures-detailed -h 127.0.0.1 -p 5433 -U bench tdb',
    );
    assert.deepEqual(r.files, [{ path: script, outside: false }]);
  });

  it('needs consent for any plan taken from a report, even one that runs only pgbench', () => {
    const file = path.join(folder, 'received.pgperf.json');
    const report = newReport({ reportName: 'received' });
    report.pgops!.plan = validatePlan({ values: [4], durationS: 1, init: 'once' }) as unknown as JsonObject;
    writeReportAtomic(file, report);
    const r = review(readPlanFile(file));
    assert.deepEqual(r.reasons, ['it comes from a report (received.pgperf.json), written wherever that sweep ran']);
    assert.deepEqual(
      r.commands.map((c) => c.label),
      ['init', 'iteration 1'],
    );
    assert.equal(r.commands[0].line, `${pgbench.path} -i -s 1 -h 127.0.0.1 -p 5433 -U bench tdb`);
  });

  it('needs consent for a plan that names its own programs, and shows the templates filled in', () => {
    const r = review(
      planFile('templates', {
        init: 'every-iteration',
        initCommand: 'ARG_PSQL_PATH -f ARG_WORKLOAD_PATH/scripts/bump.sql ARG_PG_DATABASE',
        workloadCommand: '/usr/bin/touch /tmp/marker-ARG_PGBENCH_CLIENTS',
      }),
    );
    assert.deepEqual(r.reasons, ['it names its own programs (initCommand, workloadCommand)']);
    assert.deepEqual(
      r.commands.map((c) => `${c.label}: ${c.line}`),
      [
        `init before iteration 1: /usr/lib/postgresql/15/bin/psql -f ${folder}/scripts/bump.sql tdb`,
        `init before iteration 2: /usr/lib/postgresql/15/bin/psql -f ${folder}/scripts/bump.sql tdb`,
        'iteration 1: /usr/bin/touch /tmp/marker-1',
        'iteration 2: /usr/bin/touch /tmp/marker-2',
      ],
    );
    assert.deepEqual(r.files, [{ path: path.join(folder, 'scripts', 'bump.sql'), outside: false }]);
  });

  it('needs consent for files outside the folder: scripts, -f and --file arguments, and links that lead out', () => {
    const r = review(
      planFile('outside', {
        files: [
          { path: '../home/.pgpass', weight: 1 },
          { path: 'scripts/link.sql', weight: 1 },
        ],
        extraArgs: ['-f/etc/hostname', '--file=scripts/bump.sql@2'],
      }),
    );
    assert.deepEqual(r.files, [
      { path: path.join(outside, '.pgpass'), outside: true },
      { path: path.join(folder, 'scripts', 'link.sql'), outside: true },
      { path: '/etc/hostname', outside: true },
      { path: path.resolve('scripts/bump.sql'), outside: true },
    ]);
    assert.deepEqual(r.reasons, [`it reads 4 files outside its folder ${folder}`]);
  });

  it('needs no consent for a plan the user typed (no source), whatever it names', () => {
    const plan = validatePlan({
      values: [1],
      durationS: 1,
      workloadCommand: '/usr/bin/true',
      files: [{ path: '/etc/hostname', weight: 1 }],
    });
    const r = reviewPlan(plan, undefined, pgbench, endpoint);
    assert.deepEqual(r.reasons, []);
    assert.deepEqual(r.files, [{ path: '/etc/hostname', outside: false }]);
  });

  it('reads no script: the review and the refusal name files but never hold their content', () => {
    const r = review(
      planFile('secretive', {
        files: [
          { path: '../home/.pgpass', weight: 1 },
          { path: 'scripts/bump.sql', weight: 1 },
        ],
      }),
    );
    const refusal = planConsentError(r, '--trust-plan');
    const shown = `${refusal.message}\n${refusal.hint}\n${describePlanReview(r)}\n${JSON.stringify(r)}`;
    assert.ok(!shown.includes(secret));
    assert.match(
      refusal.message,
      /secretive\.pgbench-plan\.json needs your consent .*: it reads a file outside its folder/,
    );
    assert.ok(refusal.hint?.includes(`${path.join(outside, '.pgpass')}  (outside the plan's folder)`), refusal.hint);
    assert.match(refusal.hint ?? '', /run again with --trust-plan/);
  });

  it('judges inside and outside by real paths', () => {
    assert.equal(isInsideFolder(folder, path.join(folder, 'scripts', 'bump.sql')), true);
    assert.equal(
      isInsideFolder(folder, path.join(folder, 'scripts', 'link.sql')),
      false,
      'a link inside that leads out',
    );
    assert.equal(isInsideFolder(folder, path.join(folder, 'scripts', 'missing.sql')), true);
    assert.equal(isInsideFolder(folder, `${folder}-sibling/x.sql`), false);
    assert.equal(isInsideFolder(folder, folder), false);
    assert.equal(isInsideFolder(folder, path.join(folder, '..', 'plans', 'x..sql')), true);
  });

  it('says what every sweep changes on its server, with or without init', () => {
    const noInit = validatePlan({
      values: [1, 2],
      durationS: 1,
      init: 'never',
      builtin: [{ name: 'select-only', weight: 1 }],
      reset: { checkpoint: true, statStatementsReset: false, statReset: true },
    });
    assert.deepEqual(sweepServerChanges(noInit), [
      'the workload (select-only, which may write) runs 2 times',
      'CHECKPOINT, pg_stat_reset() before each iteration',
    ]);
    const init = validatePlan({
      values: [1],
      durationS: 1,
      scale: 3,
      reset: { checkpoint: false, statStatementsReset: true, statReset: false },
    });
    assert.deepEqual(sweepServerChanges(init), [
      'pgbench -i (scale 3) drops and recreates the pgbench_* tables once',
      'the workload (tpcb-like, which may write) runs once',
      'pg_stat_statements_reset() before each iteration',
    ]);
    const swept = validatePlan({
      values: [1, 2],
      durationS: 1,
      init: 'never',
      repeat: 2,
      settings: [{ name: 'bgwriter_delay', values: ['100ms', '200ms'] }],
      reset: { checkpoint: false, statStatementsReset: false, statReset: false },
    });
    assert.deepEqual(sweepServerChanges(swept), [
      'the workload (tpcb-like, which may write) runs 8 times',
      'the settings bgwriter_delay (100ms, 200ms) are set for every cell (server-wide ones with ALTER SYSTEM and a reload, put back at the end)',
    ]);
  });

  it('needs consent for a plan file that sweeps server settings, and lists them', () => {
    const r = review(planFile('settings', { settings: [{ name: 'bgwriter_delay', values: ['100ms', '200ms'] }] }));
    assert.deepEqual(r.reasons, ['it sweeps server settings (bgwriter_delay), some maybe for the whole server']);
    assert.equal(r.commands.length, 4, 'two cells × two values');
    assert.match(describePlanReview(r), /with the settings:\n {2}bgwriter_delay = 100ms, 200ms$/);
  });

  it('adds --failures-detailed for pgbench 15 and later only', () => {
    assert.equal(pgbenchHasFailuresDetailed('pgbench (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)'), true);
    assert.equal(pgbenchHasFailuresDetailed('pgbench (PostgreSQL) 14.11'), false);
    assert.equal(pgbenchHasFailuresDetailed('Error: pgbench --version failed'), false);
  });
});

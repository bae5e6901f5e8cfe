import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scriptFilesIn, scrubSecret } from '../../src/core/bench/benchReport';
import type { PlaceholderValues } from '../../src/core/bench/commandLine';
import {
  fillTemplate,
  formatCommandLine,
  initCommand,
  iterationValues,
  splitCommandTemplate,
  workloadCommand,
} from '../../src/core/bench/commandLine';
import { parseSshDestination } from '../../src/core/bench/hostShell';
import { readPlanFile, validatePlan, writePlanFile } from '../../src/core/bench/plan';
import { withPgpass } from '../../src/core/bench/processRunner';
import { reportFileAt } from '../../src/core/report/files';
import { transactionLogAdvice } from '../../src/core/bench/txLog';
import type { PgOpsError } from '../../src/core/errors';

const values: PlaceholderValues = {
  pgbenchPath: '/usr/lib/postgresql/15/bin/pgbench',
  psqlPath: '/usr/lib/postgresql/15/bin/psql',
  endpoint: { host: 'db1', port: 5433, user: 'bench', database: 'tdb' },
  clients: 8,
  durationS: 10,
  workloadPath: '/w',
};

describe('bench plan and command lines', () => {
  it('fills pg_perfbench templates word by word, keeping quoted words whole', () => {
    const cmd = fillTemplate(
      'ARG_PGBENCH_PATH -p ARG_PG_PORT -h ARG_PG_HOST -U ARG_PG_USER ARG_PG_DATABASE -c ARG_PGBENCH_CLIENTS -j 2 ' +
        '-T ARG_PGBENCH_TIME --file="ARG_WORKLOAD_PATH/my script.sql"',
      values,
      'workload command',
    );
    assert.equal(cmd.program, values.pgbenchPath);
    assert.deepEqual(cmd.args, [
      '-p',
      '5433',
      '-h',
      'db1',
      '-U',
      'bench',
      'tdb',
      '-c',
      '8',
      '-j',
      '2',
      '-T',
      '10',
      '--file=/w/my script.sql',
    ]);
    assert.equal(formatCommandLine(cmd).endsWith("'--file=/w/my script.sql'"), true);
  });

  it('refuses the password placeholder, unknown placeholders and shell operators, naming the problem', () => {
    assert.throws(
      () => fillTemplate('ARG_PGBENCH_PATH -P ARG_PG_PASSWORD', values, 'init command'),
      (e: PgOpsError) => /ARG_PG_PASSWORD/.test(e.message) && /pgpass/.test(e.hint ?? ''),
    );
    assert.throws(
      () => fillTemplate('ARG_PGBENCH_PATH ARG_PG_DATA_PATH', values, 'init command'),
      /unknown or unset placeholder ARG_PG_DATA_PATH/,
    );
    assert.throws(
      () => splitCommandTemplate('cd ARG_WORKLOAD_PATH && psql -f x.sql', 'init command'),
      /shell operator "&"/,
    );
    assert.throws(() => splitCommandTemplate("psql -c 'select 1", 'init command'), /unclosed ' quote/);
  });

  it('builds the workload from the plan: clients, threads capped, -T, scripts, rate, limit, then observation and connection', () => {
    const plan = validatePlan({
      values: [1, 4],
      durationS: 3,
      threads: 4,
      protocol: 'prepared',
      builtin: [{ name: 'select-only', weight: 2 }],
      files: [{ path: '/w/a.sql', weight: 1 }],
      rate: 500,
      latencyLimitMs: 20,
      extraArgs: ['--random-seed=7'],
    });
    const cmd = workloadCommand(plan, iterationValues(plan, 1, values), {
      progress: true,
      logPrefix: '/tmp/x/it0',
      samplingRate: 0.1,
      failuresDetailed: true,
    });
    assert.deepEqual(cmd.args, [
      '-c',
      '1',
      '-j',
      '1',
      '-T',
      '3',
      '-M',
      'prepared',
      '-b',
      'select-only@2',
      '-f',
      '/w/a.sql@1',
      '--rate',
      '500',
      '--latency-limit',
      '20',
      '--random-seed=7',
      '-P',
      '1',
      '-l',
      '--log-prefix=/tmp/x/it0',
      '--sampling-rate=0.1',
      '--failures-detailed',
      '-h',
      'db1',
      '-p',
      '5433',
      '-U',
      'bench',
      'tdb',
    ]);
    assert.ok(!formatCommandLine(cmd).includes('password'));
  });

  it('sweeps over durations with a fixed client count, and adds progress to a pgbench workload template only once', () => {
    const plan = validatePlan({
      iterate: 'time',
      values: [5, 10],
      clients: 3,
      workloadCommand: 'ARG_PGBENCH_PATH -c ARG_PGBENCH_CLIENTS -T ARG_PGBENCH_TIME -P 2 ARG_PG_DATABASE',
    });
    const cmd = workloadCommand(plan, iterationValues(plan, 10, values), { progress: true, failuresDetailed: false });
    assert.deepEqual(cmd.args, ['-c', '3', '-T', '10', '-P', '2', 'tdb']);
    assert.deepEqual(
      initCommand(validatePlan({ values: [1], durationS: 1, scale: 5, foreignKeys: true }), values).args,
      ['-i', '-s', '5', '--foreign-keys', '-h', 'db1', '-p', '5433', '-U', 'bench', 'tdb'],
    );
  });

  it('validates plans field by field', () => {
    assert.throws(() => validatePlan({ values: [] }), /values must list at least one/);
    assert.throws(() => validatePlan({ values: [1, 0] }), /values\[1\] must be a positive integer/);
    assert.throws(
      () => validatePlan({ values: [1], builtin: [{ name: 'tpcc' as 'tpcb-like', weight: 1 }] }),
      /builtin\[0\]\.name/,
    );
    assert.throws(
      () => validatePlan({ values: [1], transactionLog: { enabled: true, samplingRate: 2, keep: false } }),
      /samplingRate/,
    );
    assert.throws(() => validatePlan({ iterate: 'time', values: [5], transactions: 10 }), /cannot be combined/);
    // a misspelt or mistyped field is named, never ignored or left to fail later
    assert.throws(
      () => validatePlan({ values: [1], durationS: 1, clientz: 4 } as never),
      /clientz is not a plan field/,
    );
    assert.throws(
      () => validatePlan({ values: [1], durationS: 1, builtin: 5 } as never),
      /builtin must be a list, got 5/,
    );
    assert.throws(
      () => validatePlan({ values: [1], durationS: 1, files: ['s.sql'] } as never),
      /files\[0\] must be an object/,
    );
    assert.throws(
      () => validatePlan({ values: [1], durationS: 1, reset: { checkpoint: 'yes' } } as never),
      /reset\.checkpoint must be true or false/,
    );
    assert.throws(
      () => validatePlan({ values: [1], durationS: 1, reportName: '...' }),
      /report name "\.\.\." gives no usable file name/,
    );
  });

  it('round-trips a plan file and resolves script paths against its folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-plan-'));
    try {
      const file = path.join(dir, 'nightly.pgbench-plan.json');
      writePlanFile(
        file,
        validatePlan({ values: [1, 2], durationS: 3, files: [{ path: 'scripts/s.sql', weight: 5 }] }),
      );
      const { plan, source } = readPlanFile(file);
      assert.deepEqual(source, { file, fromReport: false });
      assert.deepEqual(plan.values, [1, 2]);
      assert.equal(plan.files[0].path, path.join(dir, 'scripts', 's.sql'));
      assert.equal(plan.workloadPath, dir);
      fs.writeFileSync(file, '{"version": 1, "values": "x"}');
      assert.throws(() => readPlanFile(file), /nightly\.pgbench-plan\.json: values must be a list, got "x"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands the password over in a 0600 pgpass file that is gone afterwards, never in PGPASSWORD', async () => {
    let seen = '';
    await withPgpass(
      { port: 5432, user: 'a:b', password: 'pa:ss\\word' },
      (env) => {
        assert.equal(env.PGPASSWORD, undefined);
        seen = env.PGPASSFILE ?? '';
        assert.equal(fs.statSync(seen).mode & 0o777, 0o600);
        assert.equal(fs.readFileSync(seen, 'utf8'), '*:5432:*:a\\:b:pa\\:ss\\\\word\n');
        return Promise.resolve();
      },
      { PGPASSWORD: 'leaked' },
    );
    assert.ok(seen && !fs.existsSync(seen) && !fs.existsSync(path.dirname(seen)));
  });

  it('finds script files in templates, masks secrets, names report files', () => {
    assert.deepEqual(scriptFilesIn(['pgbench', '-f', '/w/a.sql@3', '--file=/w/b.sql', '-f/w/c.sql', 'x.sql']), [
      '/w/a.sql',
      '/w/b.sql',
      '/w/c.sql',
      'x.sql',
    ]);
    assert.deepEqual(scrubSecret({ a: ['key s3cret!'], b: 1 }, 's3cret!'), { a: ['key ********'], b: 1 });
    assert.equal(reportFileAt({ folder: '/out' }, 'a b/c'), '/out/a_b_c.pgperf.json');
    assert.deepEqual(parseSshDestination('root@db1:2222'), { user: 'root', host: 'db1', port: 2222 });
  });
});

describe('transaction log advice', () => {
  const pct = { p50: 1, p90: 2, p95: 3, p99: 4, max: 5 };

  it('says nothing while the log takes 10,000 transactions per second or fewer', () => {
    assert.equal(transactionLogAdvice([{ index: 0, tps: 9_800, percentiles: pct }], 1), undefined);
    assert.equal(transactionLogAdvice([{ index: 0, tps: 40_000, percentiles: pct }], 0.25), undefined);
    // no log (percentiles null), or a failed iteration without tps
    assert.equal(
      transactionLogAdvice(
        [
          { index: 0, tps: 50_000, percentiles: null },
          { index: 1, tps: null, percentiles: pct },
        ],
        1,
      ),
      undefined,
    );
  });

  it('names the fastest logged iteration and a sampling rate that keeps about 2,000 per second', () => {
    const advice = transactionLogAdvice(
      [
        { index: 0, tps: 4_000, percentiles: pct },
        { index: 1, tps: 22_300.4, percentiles: pct },
        { index: 2, tps: 21_000, percentiles: pct },
      ],
      1,
    );
    assert.match(advice ?? '', /^iteration 1 wrote 22,300 transactions per second to the per-transaction log/);
    assert.match(advice ?? '', /use --sampling-rate 0\.05 \(transactionLog\.samplingRate in a plan file\)/);
    assert.match(advice ?? '', /about 1,115 transactions per second\.$/);
  });

  it('says when a sampled log left too few transactions for the tail, with the p99 interval and a rate for 2,000', () => {
    const thin = { ...pct, samples: 250, ci95: { p99: [3.5, 9] as [number, number] } };
    const advice = transactionLogAdvice(
      [
        { index: 0, tps: 5_000, percentiles: { ...pct, samples: 5_000 } },
        { index: 1, tps: 250, percentiles: thin },
      ],
      0.01,
    );
    assert.equal(
      advice,
      "iteration 1's percentiles come from 250 sampled transactions (p99 4 ms, 95% interval 3.5–9 ms). For tail " +
        'percentiles precise enough to compare runs at this rate of transactions, use --sampling-rate 0.1 ' +
        '(transactionLog.samplingRate in a plan file).',
    );
    assert.equal(transactionLogAdvice([{ index: 0, tps: 250, percentiles: thin }], 1), undefined, 'a full log');
    assert.equal(
      transactionLogAdvice([{ index: 0, tps: 250, percentiles: { ...thin, samples: 1_000 } }], 0.01),
      undefined,
    );
  });

  it('counts what a sampled log wrote, and suggests a lower rate than the one used', () => {
    const advice = transactionLogAdvice([{ index: 0, tps: 200_000, percentiles: pct }], 0.1);
    assert.match(advice ?? '', /^iteration 0 wrote 20,000 transactions per second/);
    assert.match(advice ?? '', /--sampling-rate 0\.01 /);
  });
});

/**
 * `pgops bench` with pg_perfbench-style command templates (ARG_* placeholders, run without a
 * shell), a sweep over durations, a custom script file with a weight, re-initialisation before
 * every iteration, and a re-run that reads the plan back from the report.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { Report } from '../../src/core/report';
import { readReport } from '../../src/core/report';
import { defaultPlan } from '../../src/core/bench/plan';
import { forEachServer, tempDir } from '../support/servers';
import { itemText } from '../support/itemText';

forEachServer('pgops bench templates and re-run', (srv, major) => {
  let dir: string;
  let conn: string;
  const io = () => {
    const log = { out: '', err: '' };
    return {
      log,
      io: {
        out: (s: string) => {
          log.out += `${s}\n`;
        },
        err: (s: string) => {
          log.err += `${s}\n`;
        },
        env: { ...process.env },
        cwd: dir,
      },
    };
  };

  before(() => {
    dir = tempDir('bench-templates');
    const t = srv().target();
    conn = `host=${t.host} port=${t.port} user=${t.user} dbname=${t.database} password=${t.password}`;
    fs.writeFileSync(
      path.join(dir, 'schema.sql'),
      'DROP TABLE IF EXISTS tpl_kv;\nCREATE TABLE tpl_kv (k int PRIMARY KEY, v int);\nINSERT INTO tpl_kv SELECT g, 0 FROM generate_series(1, 100) g;\n',
    );
    fs.writeFileSync(path.join(dir, 'bump.sql'), '\\set k random(1, 100)\nUPDATE tpl_kv SET v = v + 1 WHERE k = :k;\n');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sweeps durations with templates and a weighted custom script, recording commands and script contents', async function () {
    this.timeout(120_000);
    const { log, io: cliIo } = io();
    const code = await main(
      [
        'bench',
        '--conn',
        conn,
        '--durations',
        '1,2',
        '--clients',
        '2',
        '--init',
        'every-iteration',
        '--report-name',
        'tpl',
        '--no-checkpoint',
        '--reset-stats',
        '--reset-statements',
        '--init-command',
        'ARG_PSQL_PATH -v ON_ERROR_STOP=1 -q -h ARG_PG_HOST -p ARG_PG_PORT -U ARG_PG_USER -f ARG_WORKLOAD_PATH/schema.sql ARG_PG_DATABASE',
        '--workload-command',
        'ARG_PGBENCH_PATH -n -c ARG_PGBENCH_CLIENTS -T ARG_PGBENCH_TIME -f ' +
          'ARG_WORKLOAD_PATH/bump.sql@3 -h ARG_PG_HOST -p ARG_PG_PORT -U ARG_PG_USER ARG_PG_DATABASE',
        '--out',
        dir,
      ],
      cliIo,
    );
    assert.equal(code, 0, log.err);
    const report = readReport(path.join(dir, 'tpl.pgperf.json'));
    assert.deepEqual(
      report.pgops?.iterations.map((i) => [i.value, i.clients, i.durationS, i.status]),
      [
        [1, 2, 1, 'complete'],
        [2, 2, 2, 'complete'],
      ],
    );
    assert.equal(report.pgops?.iterName, 'pgbench_time');
    assert.match(
      itemText(report.sections.benchmark.reports.iteration_resets),
      /^iteration 0: pg_stat_statements_reset\(\) done; pg_stat_reset\(\) done\niteration 1: /,
    );
    const options = report.sections.benchmark.reports.options.data as Array<[number, string]>;
    assert.match(
      options[1][1],
      new RegExp(
        `pgbench -P 1 -l --log-prefix=\\S+ --sampling-rate=0\\.01 --failures-detailed -n -c 2 -T 2 -f ${dir}/bump.sql@3 ` +
          `-h 127\\.0\\.0\\.1 -p ${srv().port} -U postgres postgres$`,
      ),
    );
    assert.match(itemText(report.sections.benchmark.reports.custom_workload), /bump\.sql :\n\\set k random\(1, 100\)/);
    assert.match(
      itemText(report.sections.benchmark.reports.custom_tables),
      /schema\.sql :\nDROP TABLE IF EXISTS tpl_kv;/,
    );
    assert.match(
      itemText(report.sections.result.reports.pgbench_raw_outputs),
      new RegExp(`transaction type: ${dir}/bump\\.sql`),
    );
    const admin = await srv().admin();
    try {
      const calls = await admin.query<{ n: number }>('SELECT sum(v)::int AS n FROM tpl_kv');
      assert.equal(
        calls.rows[0].n,
        report.pgops?.iterations[1].processed,
        're-initialised before the last iteration: the table counts only its updates',
      );
    } finally {
      await admin.end();
    }
    assert.ok(!fs.readFileSync(path.join(dir, 'tpl.pgperf.json'), 'utf8').includes(srv().password));
    assert.equal(report.pgops?.server?.major, major);
  });

  it("re-runs a report: --plan takes the plan stored in it (with --trust-plan: a report's plan needs consent)", async function () {
    this.timeout(120_000);
    const { log, io: cliIo } = io();
    const code = await main(
      [
        'bench',
        '--conn',
        conn,
        '--plan',
        path.join(dir, 'tpl.pgperf.json'),
        '--trust-plan',
        '--report-name',
        'tpl-again',
        '--keep-logs',
        '--out',
        dir,
      ],
      cliIo,
    );
    assert.equal(code, 0, log.err);
    const again: Report = readReport(path.join(dir, 'tpl-again.pgperf.json'));
    const first: Report = readReport(path.join(dir, 'tpl.pgperf.json'));
    // the same plan, except the name and the --keep-logs given on top of it
    assert.deepEqual(
      { ...again.pgops?.plan, reportName: undefined, transactionLog: undefined },
      { ...first.pgops?.plan, reportName: undefined, transactionLog: undefined },
    );
    assert.deepEqual(again.pgops?.plan?.transactionLog, {
      enabled: true,
      samplingRate: defaultPlan().transactionLog.samplingRate,
      keep: true,
    });
    assert.equal(again.pgops?.iterations.length, 2);
    const kept = fs.readdirSync(path.join(dir, 'tpl-again.logs'));
    assert.deepEqual(
      kept.map((f) => f.replace(/\.\d+$/, '')).sort(),
      ['it0', 'it1'],
      'one kept per-transaction log per iteration',
    );
    const lines = fs
      .readFileSync(path.join(dir, 'tpl-again.logs', kept.sort()[1]), 'utf8')
      .trim()
      .split('\n').length;
    // the default plan samples the log: the kept file holds the sampled transactions the percentiles come from
    const it1 = again.pgops?.iterations[1];
    assert.equal(lines, it1?.percentiles?.samples);
    assert.ok(lines < (it1?.processed ?? 0), `${lines} sampled of ${it1?.processed} transactions`);
  });

  it('refuses a template that needs a shell or the password, before running anything', async () => {
    const { log, io: cliIo } = io();
    const code = await main(
      [
        'bench',
        '--conn',
        conn,
        '--clients',
        '1',
        '--time',
        '1',
        '--out',
        dir,
        '--report-name',
        'never',
        '--init-command',
        'cd ARG_WORKLOAD_PATH && ARG_PSQL_PATH -f schema.sql',
      ],
      cliIo,
    );
    assert.equal(code, 1);
    assert.match(log.err, /shell operator "&"/);
    assert.ok(!fs.existsSync(path.join(dir, 'never.pgperf.json')));
  });
});

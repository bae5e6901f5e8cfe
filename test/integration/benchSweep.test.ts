/**
 * `pgops bench` end to end on each harness server: a 3-iteration sweep with the real pgbench,
 * the report checked against pgbench's own printed numbers, the environment sections, the HTML in
 * headless Chromium without network, and the password searched for in everything written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { Report } from '../../src/core/report';
import { readReport } from '../../src/core/report';
import { forEachServer, repoRoot, tempDir } from '../support/servers';
import { openHtmlOffline } from './benchHtml';
import { itemText } from '../support/itemText';

function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

forEachServer('pgops bench sweep', (srv, major) => {
  let out: string;
  let report: Report;
  let stdout = '';
  let stderr = '';
  let code: number;

  before(async function () {
    this.timeout(180_000);
    out = tempDir('bench-sweep');
    const t = srv().target();
    const conn = `postgresql://${t.user}:${encodeURIComponent(t.password ?? '')}@${t.host}:${t.port}/${t.database}`;
    code = await main(
      [
        'bench',
        '--conn',
        conn,
        '--clients',
        '1,2,4',
        '--time',
        '3',
        '--scale',
        '2',
        '--out',
        out,
        '--report-name',
        `sweep-pg${major}`,
        '--save-plan',
        path.join(out, 'sweep.pgbench-plan.json'),
      ],
      {
        out: (s) => {
          stdout += `${s}\n`;
        },
        err: (s) => {
          stderr += `${s}\n`;
        },
        env: { ...process.env, PGPASSWORD: undefined },
        cwd: out,
      },
    );
    report = readReport(path.join(out, `sweep-pg${major}.pgperf.json`));
  });

  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('exits 0 and prints a results table with one row per iteration', () => {
    assert.equal(code, 0, stderr);
    const rows = stdout.split('\n').filter((l) => /^\s*\d+\s+\d+\s+3\s+complete/.test(l));
    assert.equal(rows.length, 3, stdout);
  });

  it('records three complete iterations whose numbers are the ones pgbench printed', () => {
    const its = report.pgops?.iterations ?? [];
    assert.equal(report.pgops?.status, 'complete');
    assert.deepEqual(
      its.map((i) => [i.value, i.clients, i.status]),
      [
        [1, 1, 'complete'],
        [2, 2, 'complete'],
        [4, 4, 'complete'],
      ],
    );
    const raw = itemText(report.sections.result.reports.pgbench_raw_outputs)
      .split(/── iteration \d+\n/)
      .filter(Boolean);
    assert.equal(raw.length, 3);
    const rows = report.sections.result.reports.pgbench_outputs.data as number[][];
    for (const [i, text] of raw.entries()) {
      const n = (re: RegExp) => Number(text.match(re)?.[1]);
      assert.deepEqual(rows[i], [
        n(/number of clients: (\d+)/),
        3,
        n(/actually processed: (\d+)/),
        n(/latency average = ([\d.]+)/),
        n(/initial connection time = ([\d.]+)/),
        n(/^tps = ([\d.]+)/m),
      ]);
      assert.equal(its[i].latencyStddevMs, n(/latency stddev = ([\d.]+)/));
      assert.equal(its[i].failed, n(/number of failed transactions: (\d+)/));
      const p = its[i].percentiles;
      assert.ok(p && p.p50 <= p.p90 && p.p90 <= p.p95 && p.p95 <= p.p99 && p.p99 <= p.max, JSON.stringify(p));
      assert.ok((its[i].series ?? []).length >= 2, 'per-second progress series');
    }
  });

  it('samples wait events and top statements during each iteration', () => {
    const its = report.pgops?.iterations ?? [];
    // a single client is rarely caught active in a 3 s run; four clients always are
    assert.ok(
      its.flatMap((it) => it.waitEvents ?? []).reduce((a, w) => a + w.samples, 0) > 0,
      'the sweep has wait samples',
    );
    for (const it of its) {
      assert.ok(Array.isArray(it.waitEvents), `iteration ${it.index} was sampled`);
      assert.ok(
        (it.topStatements ?? []).some((s) => /pgbench_accounts/.test(s.query)),
        `iteration ${it.index} top statements`,
      );
    }
  });

  it('fills the system, db and benchmark sections under pg_perfbench item keys', () => {
    const sys = report.sections.system.reports;
    assert.match(itemText(sys.cpu_info), /Architecture:/);
    assert.match(itemText(sys.total_ram), /^\d+ GB\n$/);
    assert.match(itemText(sys.etc_os_release), /^(PRETTY_NAME|NAME)=/m);
    assert.match(itemText(sys.sysctl_vm), /^vm\./m);
    assert.match(itemText(sys.transparent_hugepages), /enabled: /);
    const db = report.sections.db.reports;
    assert.match(itemText(db.version_major), new RegExp(`^PostgreSQL ${major}\\.`));
    assert.ok((db.pg_settings.data as unknown[]).length > 200);
    assert.deepEqual(db.pg_settings.theader, ['name', 'setting', 'unit', 'source', 'non_default']);
    assert.match(itemText(db.shared_preload_libraries), /pg_stat_statements/);
    assert.ok((db.pg_available_extensions.data as unknown[][]).some((r) => r[0] === 'pg_stat_statements'));
    const bench = report.sections.benchmark.reports;
    assert.equal((bench.options.data as unknown[][]).length, 3);
    assert.match(
      String((bench.options.data as unknown[][])[2][1]),
      / -c 4 -j 1 -T 3 -P 1 -l --log-prefix=\S+ --sampling-rate=0\.01 --failures-detailed -h 127\.0\.0\.1 /,
    );
    assert.match(itemText(bench.pgbench_version), /^pgbench \(PostgreSQL\) 15\./);
    assert.equal(
      itemText(bench.iteration_resets),
      ['iteration 0: CHECKPOINT done', 'iteration 1: CHECKPOINT done', 'iteration 2: CHECKPOINT done'].join('\n'),
    );
    assert.match(
      itemText(bench.environment_changes),
      /^database facts (changed during the sweep: |unchanged).*\nsystem facts (changed during the sweep: |unchanged)/,
    );
    assert.equal(report.pgops?.server?.major, major);
  });

  it('saves the plan as a *.pgbench-plan.json that a re-run can use', () => {
    const plan = JSON.parse(fs.readFileSync(path.join(out, 'sweep.pgbench-plan.json'), 'utf8')) as {
      values: number[];
      durationS: number;
      scale: number;
    };
    assert.deepEqual([plan.values, plan.durationS, plan.scale], [[1, 2, 4], 3, 2]);
  });

  it('contains the password nowhere: report, HTML, plan, output', () => {
    const password = srv().password;
    for (const f of allFiles(out))
      assert.ok(!fs.readFileSync(f, 'utf8').includes(password), `${f} contains the password`);
    assert.ok(!stdout.includes(password) && !stderr.includes(password));
  });

  it('writes an HTML report that opens offline in Chromium without console errors', async function () {
    this.timeout(60_000);
    const html = path.join(out, `sweep-pg${major}.html`);
    const shot = path.join(repoRoot, 'test-results', `bench-report-pg${major}.png`);
    const r = await openHtmlOffline(html, shot);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.requests, []);
    assert.match(r.text, new RegExp(`sweep-pg${major}`));
    assert.ok(fs.statSync(shot).size > 1000);
  });
});

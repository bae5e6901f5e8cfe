/**
 * Setting sweeps (`pgops bench --set`) against the real servers with the real pgbench: a matrix whose
 * every cell records the setting SHOW confirmed, run back and forth (A B B A); server-wide values put
 * back afterwards with postgresql.auto.conf clean, also after a cancel and after pgops is killed (the
 * next sweep repairs it from the undo file); refusals before anything runs; a postmaster setting with
 * --allow-restart on a server of its own; and two cells of one matrix report compared.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPgbench } from '../../src/core/bench/findPgbench';
import { validatePlan } from '../../src/core/bench/plan';
import type { SweepEvent } from '../../src/core/bench/sweep';
import { runSweep } from '../../src/core/bench/sweep';
import type { RunComparison } from '../../src/core/report/comparison';
import type { Report } from '../../src/core/report';
import { readReport } from '../../src/core/report';
import type { TestServer } from '../support/servers';
import { availableBinaries, forEachServer, startTestServer, tempDir } from '../support/servers';
import { cliEnv, runCliInProcess, runCliProcess } from './cliProcess';
import { sortWorkload } from './diagSupport';

const database = 'pgops_settings';

const pgops = runCliInProcess;

async function query<T>(srv: TestServer, sql: string, params: unknown[] = []): Promise<T[]> {
  const admin = await srv.admin();
  try {
    return (await admin.query(sql, params)).rows as T[];
  } finally {
    await admin.end();
  }
}

/** The entries postgresql.auto.conf holds for a setting. */
const autoConf = (srv: TestServer, name: string) =>
  query<{ setting: string }>(
    srv,
    "SELECT setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' AND name = $1",
    [name],
  ).then((rows) => rows.map((r) => r.setting));

const show = async (srv: TestServer, name: string) =>
  (await query<{ v: string }>(srv, 'SELECT current_setting($1) AS v', [name]))[0].v;

/** SHOW in a new session until it gives `want` (a reload reaches the server a moment later). */
async function showSettles(srv: TestServer, name: string, want: string): Promise<string> {
  let got = '';
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    got = await show(srv, name);
    if (got === want) break;
  }
  return got;
}

/** The report's account of the swept settings: how each was applied and restored. */
function sweepLog(r: Report): string {
  const data = r.sections.benchmark.reports.setting_sweep?.data;
  assert.equal(typeof data, 'string', 'the setting_sweep item is text');
  return data as string;
}

const settingsOf = (r: Report) => (r.pgops?.iterations ?? []).map((it) => it.settings);

forEachServer('bench --set: setting sweeps', (srv, major) => {
  let dir: string;
  let stateHome: string;
  let conn: string;
  const undoFiles = () =>
    fs.existsSync(path.join(stateHome, 'pgops')) ? fs.readdirSync(path.join(stateHome, 'pgops')) : [];
  const env = () => ({ XDG_STATE_HOME: stateHome });
  const baseArgs = (name: string, time = '1', script = 'one.sql') => [
    'bench',
    '--conn',
    conn,
    '--clients',
    '1',
    '--time',
    time,
    '--init',
    'never',
    '--file',
    script,
    '--top',
    '3',
    '--report-name',
    name,
    '--out',
    dir,
  ];
  const report = (name: string) => readReport(path.join(dir, `${name}.pgperf.json`));

  before(async function () {
    this.timeout(120_000);
    dir = tempDir('settings');
    stateHome = tempDir('settings-state');
    conn = await sortWorkload(srv(), database, dir);
    fs.writeFileSync(path.join(dir, 'one.sql'), 'SELECT 1;\n');
  });

  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(stateHome, { recursive: true, force: true });
    const admin = await srv().admin();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => admin.end());
  });

  it('runs a setting × clients × repeat matrix back and forth, every cell recording what SHOW confirmed, and restores the setting', async function () {
    this.timeout(120_000);
    const name = 'pg_stat_statements.track_planning';
    const before = await show(srv(), name);
    const r = await pgops(
      [...baseArgs('matrix'), '--set-system', `${name}=on,off`, '--clients', '2', '--repeat', '2', '--json'],
      dir,
      env(),
    );
    assert.equal(r.code, 0, r.err);
    const m = report('matrix');
    assert.deepEqual(
      settingsOf(m),
      ['on', 'off', 'off', 'on'].map((v) => ({ [name]: v })),
      'cells interleaved A B B A',
    );
    assert.deepEqual(
      m.pgops?.iterations.map((it) => [it.clients, it.repeat, it.status]),
      [
        [2, 0, 'complete'],
        [2, 0, 'complete'],
        [2, 1, 'complete'],
        [2, 1, 'complete'],
      ],
    );
    const json = JSON.parse(r.out) as { values: Array<{ settings: Record<string, string>; tps: { n: number } }> };
    assert.deepEqual(
      json.values.map((v) => [v.settings[name], v.tps.n]),
      [
        ['on', 2],
        ['off', 2],
      ],
    );
    const summary = m.sections.result.reports.repeat_summary;
    assert.equal(summary.theader?.[0], 'settings');
    const log = sweepLog(m);
    assert.match(
      log,
      new RegExp(
        `${name.replace(/\./g, '\\.')} \\(context superuser\\) = on, off through ALTER SYSTEM \\+ pg_reload_conf\\(\\); before: ${before}; restored`,
      ),
    );
    assert.deepEqual(await autoConf(srv(), name), [], 'postgresql.auto.conf holds no entry');
    assert.equal(await showSettles(srv(), name, before), before);
    assert.deepEqual(undoFiles(), [], 'the undo file is gone');
  });

  it('restores a server-wide setting after the sweep is cancelled in the middle, keeping the finished cell', async function () {
    this.timeout(90_000);
    const before = await show(srv(), 'bgwriter_delay');
    const abort = new AbortController();
    let fired = false;
    const onEvent = (e: SweepEvent) => {
      if (e.type === 'iteration-start' && e.index === 1 && !fired) {
        fired = true;
        setTimeout(() => abort.abort(), 1000);
      }
    };
    const plan = validatePlan({
      reportName: 'cancelled',
      values: [1],
      durationS: 3,
      init: 'never',
      files: [{ path: path.join(dir, 'one.sql'), weight: 1 }],
      settings: [{ name: 'bgwriter_delay', values: ['150ms', '250ms'] }],
      topStatements: 0,
    });
    const t = srv().target({ database });
    const rep = await runSweep({
      plan,
      target: t,
      pgbenchPath: findPgbench().path,
      signal: abort.signal,
      onEvent,
      undoDir: path.join(stateHome, 'pgops'),
    });
    assert.equal(rep.pgops?.status, 'interrupted');
    assert.deepEqual(settingsOf(rep)[0], { bgwriter_delay: '150ms' });
    assert.equal(rep.pgops?.iterations[0].status, 'complete');
    assert.match(sweepLog(rep), /bgwriter_delay \(context sighup\).*restored/);
    assert.deepEqual(await autoConf(srv(), 'bgwriter_delay'), []);
    assert.equal(await showSettles(srv(), 'bgwriter_delay', before), before);
    assert.deepEqual(undoFiles(), []);
  });

  it('repairs what a killed pgops left in postgresql.auto.conf at the next sweep on that server', async function () {
    this.timeout(120_000);
    const before = await show(srv(), 'bgwriter_delay');
    const home = tempDir('settings-home');
    try {
      const killed = await runCliProcess([...baseArgs('killed', '5'), '--set', 'bgwriter_delay=150ms,250ms'], {
        env: cliEnv(home, env()),
        cwd: dir,
        timeoutMs: 90_000,
        onStderr: (err, child) => {
          if (/iteration 1\/2/.test(err)) child.kill('SIGKILL');
        },
      });
      assert.equal(killed.signal, 'SIGKILL', killed.err);
      assert.deepEqual(await autoConf(srv(), 'bgwriter_delay'), ['150ms'], 'the killed run left its value');
      assert.equal(undoFiles().length, 1, 'and its undo file');
      const next = await pgops(baseArgs('after-kill', '1'), dir, env());
      assert.equal(next.code, 0, next.err);
      assert.match(
        next.err,
        /note: restored bgwriter_delay in postgresql\.auto\.conf, left changed by an interrupted sweep/,
      );
      assert.deepEqual(await autoConf(srv(), 'bgwriter_delay'), []);
      assert.equal(await showSettles(srv(), 'bgwriter_delay', before), before);
      assert.deepEqual(undoFiles(), []);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a postmaster setting without --allow-restart, an unknown setting and a bad value, before anything runs', async () => {
    const out = tempDir('settings-refused');
    try {
      const args = (set: string) => [...baseArgs('refused'), '--out', out, '--set', set];
      const postmaster = await pgops(args('shared_buffers=16MB,32MB'), dir, env());
      assert.equal(postmaster.code, 1);
      assert.match(
        postmaster.err,
        /shared_buffers \(context postmaster\) takes effect only when the server restarts; nothing was run/,
      );
      assert.match(postmaster.err, /--allow-restart/);
      const unknown = await pgops(args('no_such_setting=1,2'), dir, env());
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /The server has no setting no_such_setting/);
      const enumValue = await pgops(args('synchronous_commit=on,sometimes'), dir, env());
      assert.equal(enumValue.code, 1);
      assert.match(enumValue.err, /synchronous_commit=sometimes: the value is none of .*local/);
      const range = await pgops(args('work_mem=32kB'), dir, env());
      assert.match(range.err, /work_mem=32kB: the value is below the minimum 64kB/);
      const syntax = await pgops(args('work_mem'), dir, env());
      assert.equal(syntax.code, 2);
      assert.match(syntax.err, /--set "work_mem" is not NAME=V1,V2/);
      assert.deepEqual(fs.readdirSync(out), [], 'no report: nothing ran');
      assert.deepEqual(await autoConf(srv(), 'shared_buffers'), []);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('explains two cells of one matrix report: work_mem 64kB against 64MB, the sort spilling at 64kB', async function () {
    this.timeout(120_000);
    const r = await pgops(
      [...baseArgs('workmem', '2', 'sort.sql'), '--clients', '2', '--set', 'work_mem=64kB,64MB'],
      dir,
      env(),
    );
    assert.equal(r.code, 0, r.err);
    assert.match(
      sweepLog(report('workmem')),
      /work_mem \(context user\) = 64kB, 64MB through the benchmark sessions’ startup options \(PGOPTIONS\).*nothing changed on the server/,
    );
    const c = await pgops(
      ['compare', 'workmem.pgperf.json', '--a', 'work_mem=64kB', '--b', 'work_mem=64MB', '--json'],
      dir,
      env(),
    );
    assert.equal(c.code, 0, c.err);
    const cmp = JSON.parse(c.out) as RunComparison;
    assert.deepEqual([cmp.a.name, cmp.b.name], ['workmem [work_mem=64kB]', 'workmem [work_mem=64MB]']);
    assert.deepEqual(
      { name: cmp.settings[0]?.name, a: cmp.settings[0]?.a, b: cmp.settings[0]?.b },
      { name: 'work_mem', a: '64kB', b: '64MB' },
    );
    assert.equal(cmp.settings.length, 1, 'one report: nothing else differs');
    const sort = cmp.statements.find((s) => /ORDER BY v DESC/.test(s.query));
    assert.ok(
      (sort?.a?.tempBlksWrittenPerCall ?? 0) > 0 && sort?.b?.tempBlksWrittenPerCall === 0,
      JSON.stringify(sort),
    );
    assert.ok(
      cmp.summary.some((s) => /work_mem 64kB → 64MB/.test(s)),
      cmp.summary.join('\n'),
    );
    const ambiguous = await pgops(['compare', 'workmem.pgperf.json', 'workmem.pgperf.json'], dir, env());
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.err, /swept server settings: choose the cell to compare with --a/);
    assert.deepEqual(await autoConf(srv(), 'work_mem'), []);
  });

  it(`restarts its own PostgreSQL ${major} for a postmaster setting with --allow-restart, and restarts it back`, async function () {
    this.timeout(240_000);
    const binaries = availableBinaries().find((b) => b.major === major);
    assert.ok(binaries, `PostgreSQL ${major} binaries`);
    const own = await startTestServer(binaries);
    try {
      const before = await show(own, 'shared_buffers');
      const t = own.target();
      const url = `postgresql://${t.user}:${encodeURIComponent(t.password ?? '')}@${t.host}:${t.port}/postgres`;
      const args = baseArgs('restart', '1').map((a) => (a === conn ? url : a));
      const r = await pgops([...args, '--set', 'shared_buffers=16MB,24MB', '--allow-restart'], dir, env());
      assert.equal(r.code, 0, r.err);
      const m = report('restart');
      assert.deepEqual(settingsOf(m), [{ shared_buffers: '16MB' }, { shared_buffers: '24MB' }]);
      assert.match(sweepLog(m), /ALTER SYSTEM \+ restart \(\S*pg_ctl restart -D .*\); before: .*; restored/);
      assert.equal(await show(own, 'shared_buffers'), before);
      assert.deepEqual(await autoConf(own, 'shared_buffers'), []);
    } finally {
      await own.stop();
    }
  });
});

/**
 * `pgops bench --plan REPORT` with a report received from someone else, run as its own process: its
 * plan names a program of its own (the workload command creates a marker file) and a script outside
 * the report's folder (a secret-looking pgpass file). Without --trust-plan the CLI refuses before it
 * starts anything or reads the script, naming the program, the file and the flag; with the flag it runs.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeReportAtomic } from '../../src/core/report/write';
import { hostileReport } from '../support/hostileReport';
import { forEachServer, tempDir } from '../support/servers';
import { cliEnv, runCliProcess } from './cliProcess';

const pgbench = '/usr/lib/postgresql/15/bin/pgbench';
const secretLine = '127.0.0.1:5432:*:postgres:Pl4nt3d-S3cret-In-Pgpass';

function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Server log lines of connections the sweep opens (its facts and admin sessions, and pgbench's). */
function benchConnections(logFile: string): string[] {
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /connection authorized: .*application_name=(pgbench \(pgops\)|pgops bench)/.test(l));
}

forEachServer('pgops bench --plan with a received report', (srv) => {
  let root: string;
  let received: string;
  let secretFile: string;
  let marker: string;
  let report: string;
  let conn: string;
  let home: string;

  before(() => {
    root = tempDir('plan-consent');
    received = path.join(root, 'received');
    home = path.join(root, 'home');
    fs.mkdirSync(received);
    fs.mkdirSync(path.join(home, 'secrets'), { recursive: true });
    secretFile = path.join(home, 'secrets', '.pgpass');
    fs.writeFileSync(secretFile, `${secretLine}\n`, { mode: 0o600 });
    marker = path.join(root, 'marker-created-by-the-plan');
    report = path.join(received, 'hostile.pgperf.json');
    writeReportAtomic(report, hostileReport('hostile', marker, secretFile));
    const t = srv().target();
    conn = `host=${t.host} port=${t.port} user=${t.user} dbname=${t.database} password=${t.password}`;
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('refuses without --trust-plan, naming the program, the file outside the folder and the flag; runs and reads nothing', async function () {
    this.timeout(60_000);
    const before = benchConnections(srv().layout.logFile).length;
    const out = path.join(root, 'out-refused');
    const r = await runCliProcess(['bench', '--conn', conn, '--plan', report, '--pgbench', pgbench, '--out', out], {
      env: cliEnv(home),
    });
    assert.equal(r.code, 1, `exit code; stderr: ${r.err}`);
    assert.ok(!fs.existsSync(marker), 'the workload command did not run');
    assert.match(r.err, /hostile\.pgperf\.json/);
    assert.ok(r.err.includes(`/usr/bin/touch ${marker}`), `names the command line: ${r.err}`);
    assert.ok(r.err.includes(secretFile), `names the file: ${r.err}`);
    assert.match(r.err, /outside/);
    assert.match(r.err, /--trust-plan/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    assert.ok(!fs.existsSync(out), 'no report folder was written');
    for (const text of [
      r.out,
      r.err,
      ...allFiles(root)
        .filter((f) => f !== secretFile)
        .map((f) => fs.readFileSync(f, 'utf8')),
    ]) {
      assert.ok(!text.includes('Pl4nt3d-S3cret'), "the file's content is printed or written nowhere");
    }
    assert.deepEqual(
      benchConnections(srv().layout.logFile).slice(before),
      [],
      'no sweep session and no pgbench connected to the server',
    );
  });

  it('runs the plan with --trust-plan', async function () {
    this.timeout(60_000);
    const out = path.join(root, 'out-trusted');
    const r = await runCliProcess(
      [
        'bench',
        '--conn',
        conn,
        '--plan',
        report,
        '--trust-plan',
        '--pgbench',
        pgbench,
        '--out',
        out,
        '--report-name',
        'trusted',
      ],
      { env: cliEnv(home) },
    );
    assert.equal(r.code, 0, `exit code; stderr: ${r.err}`);
    assert.ok(fs.existsSync(marker), 'the workload command ran');
    assert.ok(fs.existsSync(path.join(out, 'trusted.pgperf.json')));
    fs.rmSync(marker);
  });
});

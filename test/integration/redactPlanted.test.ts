/**
 * Secrets planted on a real server, one unique random value per kind, must appear in nothing pgops
 * writes or prints: two real pgbench sweeps (`pgops bench`, whose workload runs the planting
 * statements so they are also top statements), their HTML, `pgops report html|show`, a join of the
 * two, `pgops stats`, `pgops waits`, and every byte of stdout and stderr (verbose). The markers and
 * the rule set's version must be there instead. The CLI runs as its own process in a private mount
 * namespace whose /etc/fstab is a planted file; the machine's /etc/fstab is never touched.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { repoRoot, forEachServer, tempDir } from '../support/servers';
import type { CliRun } from './cliProcess';
import { openHtmlOffline } from './benchHtml';
import { cliEnv, runCliProcess } from './cliProcess';

const fstabWrapper = path.join(repoRoot, 'out', 'test', 'support', 'withPlantedFstab.js');
const secret = (kind: string) => `Z${kind.slice(0, 3)}${crypto.randomBytes(10).toString('hex')}`;

/** Every planted secret by kind; the test output names kinds, never values. */
function plantedSecrets() {
  return {
    'ALTER ROLE … PASSWORD': secret('rol'),
    'CREATE USER MAPPING … OPTIONS (password)': secret('map'),
    'ALTER USER MAPPING … OPTIONS (SET password)': secret('ama'),
    'primary_conninfo URI with an empty user': secret('uri'),
    'primary_conninfo password= with an escaped space': secret('kvs'),
    archive_command: secret('arc'),
    restore_command: secret('res'),
    ssl_passphrase_command: secret('ssl'),
    'extension setting myext.api_token': secret('tok'),
    'SET of a secret-named setting': secret('set'),
    'statement of an idle session (pg_stat_activity)': secret('act'),
    'fstab password=': secret('fpw'),
    'fstab credentials=': secret('fcr'),
  };
}
type Secrets = ReturnType<typeof plantedSecrets>;

const plantedSettings = [
  'primary_conninfo',
  'archive_command',
  'restore_command',
  'ssl_passphrase_command',
  'myext.api_token',
];

/** The statements that plant the secrets; run by the test before the sweeps and by pgbench during them. */
function plantingScript(s: Secrets, role: string, server: string): string {
  return [
    `ALTER ROLE ${role} PASSWORD '${s['ALTER ROLE … PASSWORD']}';`,
    `ALTER USER MAPPING FOR ${role} SERVER ${server} OPTIONS (SET password '${s['ALTER USER MAPPING … OPTIONS (SET password)']}');`,
    `ALTER SYSTEM SET primary_conninfo = 'postgresql://:${s['primary_conninfo URI with an empty user']}@db1.invalid:5432/app';`,
    `ALTER SYSTEM SET primary_conninfo = 'host=db1.invalid user=rep password=a\\ ${s['primary_conninfo password= with an escaped space']}';`,
    `ALTER SYSTEM SET archive_command = 'cp %p /nonexistent/${s.archive_command}/%f';`,
    `ALTER SYSTEM SET restore_command = 'cp /nonexistent/${s.restore_command}/%f %p';`,
    `ALTER SYSTEM SET ssl_passphrase_command = 'echo ${s.ssl_passphrase_command}';`,
    // PostgreSQL 15 lets ALTER SYSTEM set a placeholder only once the session knows it (16+ always)
    `SET myext.api_token = '${s['SET of a secret-named setting']}';`,
    `ALTER SYSTEM SET myext.api_token = '${s['extension setting myext.api_token']}';`,
    '',
  ].join('\n');
}

function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

forEachServer('planted secrets stay out of everything pgops writes, exports or prints', (srv, major) => {
  const s = plantedSecrets();
  const tag = crypto.randomBytes(4).toString('hex');
  const role = `redact_probe_${tag}`;
  const server = `redact_fdw_${tag}`;
  let dir: string;
  let reportsDir: string;
  let joinDir: string;
  let admin: Client;
  let idle: Client;
  let hadFdw = false;
  const runs: Array<{ what: string; run: CliRun }> = [];
  let conn: string;

  const cli = async (what: string, args: string[], inNamespace = false) => {
    const run = await runCliProcess(args, {
      env: cliEnv(dir, { PGOPS_VERBOSE: '1' }),
      timeoutMs: 240_000,
      wrapper: inNamespace
        ? ['unshare', '--mount', '--propagation', 'private', process.execPath, fstabWrapper, path.join(dir, 'fstab')]
        : undefined,
    });
    runs.push({ what, run });
    return run;
  };

  const bench = (name: string) =>
    cli(
      `pgops bench ${name}`,
      [
        'bench',
        '--conn',
        conn,
        '--clients',
        '1',
        '--transactions',
        '2',
        '--init',
        'never',
        '--no-vacuum',
        '--file',
        path.join(dir, 'planted.sql'),
        '--top',
        '1000',
        '--report-name',
        name,
        '--out',
        reportsDir,
      ],
      true,
    );

  before(async function () {
    this.timeout(600_000);
    assert.ok(fs.existsSync(fstabWrapper), `${fstabWrapper} is missing: compile the tests first`);
    dir = tempDir('redact-planted');
    reportsDir = path.join(dir, 'reports');
    joinDir = path.join(dir, 'joined');
    const t = srv().target();
    conn = `postgresql://${t.user}:${encodeURIComponent(t.password ?? '')}@${t.host}:${t.port}/${t.database}`;
    fs.writeFileSync(
      path.join(dir, 'fstab'),
      [
        'UUID=0a1b2c3d / ext4 errors=remount-ro 0 1',
        `//nas.invalid/share /mnt/nas cifs username=bob,password=${s['fstab password=']},uid=1000 0 0`,
        `//nas.invalid/other /mnt/other cifs credentials=/root/.${s['fstab credentials=']},vers=3.0 0 0`,
        '',
      ].join('\n'),
    );
    admin = await srv().admin();
    admin.on('error', () => undefined); // a failure shows in the query that meets it
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${s['ALTER ROLE … PASSWORD']}'`);
    hadFdw = (await admin.query("SELECT 1 FROM pg_extension WHERE extname = 'postgres_fdw'")).rowCount === 1;
    await admin.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
    await admin.query(
      `CREATE SERVER ${server} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'postgres')`,
    );
    const mappingPassword = s['CREATE USER MAPPING … OPTIONS (password)'];
    await admin.query(
      `CREATE USER MAPPING FOR ${role} SERVER ${server} OPTIONS (user '${role}', password '${mappingPassword}')`,
    );
    const script = plantingScript(s, role, server);
    fs.writeFileSync(path.join(dir, 'planted.sql'), script);
    for (const stmt of script.split('\n').filter(Boolean)) await admin.query(stmt);
    // the first sweep sees the URI form of primary_conninfo, the second the keyword/value form
    await admin.query(
      `ALTER SYSTEM SET primary_conninfo = 'postgresql://:${s['primary_conninfo URI with an empty user']}@db1.invalid:5432/app'`,
    );
    await admin.query('SELECT pg_reload_conf()');
    idle = await srv().admin();
    idle.on('error', () => undefined);
    await idle.query(`ALTER ROLE ${role} PASSWORD '${s['statement of an idle session (pg_stat_activity)']}'`);

    const a = await bench('planted-a');
    assert.equal(a.code, 0, `pgops bench planted-a failed (exit ${a.code})`);
    const b = await bench('planted-b');
    assert.equal(b.code, 0, `pgops bench planted-b failed (exit ${b.code})`);
    const aJson = path.join(reportsDir, 'planted-a.pgperf.json');
    await cli('pgops report html', ['report', 'html', aJson, '--out', path.join(dir, 'exported.html')]);
    await cli('pgops report show --json', ['report', 'show', aJson, '--json']);
    await cli('pgops report show', ['report', 'show', aJson]);
    await cli('pgops join', [
      'join',
      '--task',
      'same-host-different-config',
      '--input-dir',
      reportsDir,
      '--report-name',
      'planted-joined',
      '--out',
      joinDir,
    ]);
    await cli('pgops report show (joined)', [
      'report',
      'show',
      path.join(joinDir, 'planted-joined.pgperf.json'),
      '--json',
    ]);
    await cli('pgops stats --json', ['stats', '--conn', conn, '--json', '--limit', '1000']);
    await cli('pgops stats', ['stats', '--conn', conn, '--limit', '1000']);
    await cli('pgops waits', ['waits', '--conn', conn, '--seconds', '1', '--hz', '5']);
    await cli('pgops waits --json', ['waits', '--conn', conn, '--seconds', '1', '--hz', '5', '--json']);
  });

  after(async function () {
    this.timeout(60_000);
    await idle?.end().catch(() => undefined);
    if (admin) {
      await admin.query("SET myext.api_token = ''");
      for (const g of plantedSettings) await admin.query(`ALTER SYSTEM RESET ${g}`);
      await admin.query('SELECT pg_reload_conf()');
      await admin.query(`DROP USER MAPPING IF EXISTS FOR ${role} SERVER ${server}`);
      await admin.query(`DROP SERVER IF EXISTS ${server}`);
      if (!hadFdw) await admin.query('DROP EXTENSION IF EXISTS postgres_fdw');
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      // the planting statements leave the shared server's pg_stat_statements, the others' entries stay
      await admin.query(
        'SELECT pg_stat_statements_reset(userid, dbid, queryid) FROM pg_stat_statements WHERE query ~ $1',
        [Object.values(s).join('|')],
      );
      await admin.end();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ran every command: two sweeps, HTML export, show, join, stats and waits all exit 0', () => {
    assert.deepEqual(
      runs.map((r) => [r.what, r.run.code]),
      runs.map((r) => [r.what, 0]),
    );
  });

  it('plants each secret where pgops looks: the sweep saw the fstab file and the settings', () => {
    type Sections = { sections: Record<string, { reports: Record<string, { data: unknown }> }> };
    const a = JSON.parse(fs.readFileSync(path.join(reportsDir, 'planted-a.pgperf.json'), 'utf8')) as Sections;
    assert.match(
      String(a.sections.system.reports.etc_fstab.data),
      /nas\.invalid\/share/,
      'the report read the planted fstab',
    );
    const settings = a.sections.db.reports.pg_settings.data as unknown[][];
    // a placeholder (myext.api_token) is not in pg_settings (GUC_NO_SHOW_ALL): it reaches reports as statement text only
    for (const g of ['primary_conninfo', 'restore_command', 'ssl_passphrase_command']) {
      const row = settings.find((r) => r[0] === g);
      assert.ok(row && typeof row[1] === 'string' && row[1] !== '', `pg_settings holds a value for ${g}`);
    }
  });

  it('no planted secret appears in any byte written (reports, HTML, join, logs) or printed (stdout, stderr)', () => {
    const places = [
      ...allFiles(dir)
        .filter((f) => f !== path.join(dir, 'fstab') && f !== path.join(dir, 'planted.sql'))
        .map((f) => ({ where: path.relative(dir, f), text: fs.readFileSync(f, 'latin1') })),
      ...runs.flatMap(({ what, run }) => [
        { where: `${what}: stdout`, text: run.out },
        { where: `${what}: stderr`, text: run.err },
      ]),
    ];
    assert.ok(
      places.length >= 20,
      `expected the reports, HTML and every command's output, found ${places.length} places`,
    );
    // a prefix or a tail counts too: a truncated text must not keep part of a secret
    const leaked = (text: string, v: string) => text.includes(v.slice(0, 16)) || text.includes(v.slice(-12));
    const leaks = places.flatMap(({ where, text }) =>
      Object.entries(s)
        .filter(([, v]) => leaked(text, v))
        .map(([kind]) => `${where}: ${kind}`),
    );
    assert.equal(leaks.length, 0, `secrets leaked (place: kind):\n${leaks.join('\n')}`);
  });

  it('leaves visible markers and records the rule set version with per-rule counts in each report', () => {
    const reports = [
      path.join(reportsDir, 'planted-a.pgperf.json'),
      path.join(reportsDir, 'planted-b.pgperf.json'),
      path.join(joinDir, 'planted-joined.pgperf.json'),
    ];
    for (const file of reports) {
      const r = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        pgops?: { redaction?: { ruleSet: string; counts: Record<string, number> } };
      };
      const red = r.pgops?.redaction;
      assert.equal(red?.ruleSet, 'pgops-redact/1', `${path.basename(file)} records the rule set`);
      for (const rule of [
        'role-password',
        'secret-option',
        'conninfo-password',
        'setting-command',
        'setting-secret',
        'mount-secret',
      ]) {
        assert.ok(
          (red?.counts[rule] ?? 0) > 0,
          `${path.basename(file)}: rule ${rule} counted (${JSON.stringify(red?.counts)})`,
        );
      }
    }
    const a = fs.readFileSync(path.join(reportsDir, 'planted-a.pgperf.json'), 'utf8');
    assert.match(a, /credentials=\[redacted: [^\]]+ \(pgops-redact\/1 rule mount-secret\)\]/);
    assert.match(a, /postgresql:\/\/:\[redacted: [^\]]+ \(pgops-redact\/1 rule conninfo-password\)\]@db1\.invalid/);
    for (const html of [
      path.join(reportsDir, 'planted-a.html'),
      path.join(dir, 'exported.html'),
      path.join(joinDir, 'planted-joined.html'),
    ]) {
      assert.match(
        fs.readFileSync(html, 'utf8'),
        /\(pgops-redact\/1 rule setting-command\)/,
        `${path.basename(html)} shows the markers`,
      );
    }
    const stats = runs.find((r) => r.what === 'pgops stats --json')?.run.out ?? '';
    assert.match(
      stats,
      /PASSWORD \[redacted: [^\]]+ \(pgops-redact\/1 rule role-password\)\]/,
      `pgops stats shows the ALTER ROLE statement redacted on PostgreSQL ${major}`,
    );
  });

  it('shows the rule set and what it hid in the HTML opened in Chromium', async function () {
    this.timeout(60_000);
    const shot = path.join(repoRoot, 'test-results', `redact-planted-pg${major}.png`);
    const page = await openHtmlOffline(path.join(reportsDir, 'planted-a.html'), shot);
    assert.deepEqual(page.errors, []);
    assert.match(page.text, /Redacted\s+pgops-redact\/1: \d+ values \(.*setting-command \d+/);
    const leaks = Object.entries(s)
      .filter(([, v]) => page.text.includes(v))
      .map(([kind]) => kind);
    assert.deepEqual(leaks, [], 'secrets shown on the page');
  });
});

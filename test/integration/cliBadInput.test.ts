/**
 * The bad-input battery: the real `pgops` process, given bad input of every kind it reads —
 * connection strings, service and password files, pg_hba files, reports, join tasks, run plans,
 * names, flags, a missing pgbench, a server that dies mid-run, OAuth sign-ins that fail. Each row
 * must exit 1 or 2, name the input on stderr, print no stack trace and no raw control character,
 * print none of the case's secrets, and write or lose nothing (badInput.ts checks all of that).
 * Adding a case is adding a row.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostileReport as receivedReport } from '../support/hostileReport';
import type { Report } from '../../src/core/report';
import { freePort, readPostmasterPid } from '../../src/core/sandbox/pgServer';
import { approveDeviceCode } from '../support/oauth/approve';
import { clients } from '../support/oauth/idp';
import type { OAuthRig } from '../support/oauth/rig';
import { oauthScope, startOAuthRig } from '../support/oauth/rig';
import type { TestServer } from '../support/servers';
import { availableBinaries, repoRoot, serverMatrix, sharedServer, startTestServer, tempDir } from '../support/servers';
import type { BadInput, CaseContext } from './badInput';
import { garbage, runBadInput } from './badInput';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'reports', 'perfbench', 'same-host');
const reportA = path.join(fixtures, 'benchmark-config-a.json');
const reportB = path.join(fixtures, 'benchmark-config-b.json');
const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The server cases use the newest version of the matrix: what they test is on the client side. */
const srv = (): TestServer => sharedServer(serverMatrix()[serverMatrix().length - 1].major);
const tcp = (c: CaseContext, extra: string): string => `host=127.0.0.1 port=${c.vars.port} sslmode=disable ${extra}`;
const nobodyListens = async (c: CaseContext): Promise<void> => {
  c.vars.port = String(await freePort());
};
/** A port where no server listens, and a valid plan or flags: what fails is the one bad input. */
const benchArgs = (c: CaseContext, ...more: string[]): string[] => [
  'bench',
  '--conn',
  tcp(c, 'user=u'),
  '--clients',
  '1',
  '--time',
  '1',
  ...more,
];

const connectionStrings: BadInput[] = [
  {
    name: 'URI with a port that is not a number',
    args: ['conn', 'test', '--conn', 'postgresql://127.0.0.1:abc/db'],
    expectCode: 1,
    names: 'invalid port number: "abc"',
  },
  {
    name: 'port out of range',
    args: ['conn', 'test', '--conn', 'host=127.0.0.1 port=70000'],
    expectCode: 1,
    names: '"70000"',
    says: /between 1 and 65535/,
  },
  {
    name: 'URI with an unterminated [',
    args: ['conn', 'test', '--conn', 'postgresql://[::1/db'],
    expectCode: 1,
    names: '"postgresql://[::1/db"',
    says: /matching "\]"/,
  },
  {
    name: 'URI with bad percent-encoding (and a password that is never echoed)',
    args: ['conn', 'test', '--conn', 'postgresql://u:pw-uri-secret@h/d%zzb'],
    setup: (c) => void c.secrets.push('pw-uri-secret'),
    expectCode: 1,
    names: '"%zz"',
    says: /u:\*{8}@h/,
  },
  {
    name: 'unknown URI query keyword',
    args: ['conn', 'test', '--conn', 'postgresql://h/db?frobnicate=1'],
    expectCode: 1,
    names: '"frobnicate"',
  },
  {
    name: 'bad sslmode',
    args: ['conn', 'test', '--conn', 'host=h sslmode=sometimes'],
    expectCode: 1,
    names: 'sslmode value: "sometimes"',
  },
  {
    name: 'bad target_session_attrs in a URI',
    args: ['conn', 'test', '--conn', 'postgresql://h/db?target_session_attrs=whatever'],
    expectCode: 1,
    names: '"whatever"',
  },
  {
    name: 'unterminated quote, with a password in the string',
    args: ['conn', 'test', '--conn', "password=pw-quote-secret host='h"],
    setup: (c) => void c.secrets.push('pw-quote-secret'),
    expectCode: 1,
    names: 'value of "host"',
    says: /unterminated quoted string/,
  },
  {
    name: 'keyword without "="',
    args: ['conn', 'test', '--conn', 'host=h port'],
    expectCode: 1,
    names: 'missing "=" after "port"',
  },
  {
    name: 'unknown conninfo keyword',
    args: ['conn', 'test', '--conn', 'host=h frob=1'],
    expectCode: 1,
    names: '"frob"',
  },
  {
    name: 'more hosts than ports',
    args: ['conn', 'test', '--conn', 'host=a,b,c port=1,2'],
    expectCode: 1,
    names: '2 port numbers to 3 hosts',
  },
  {
    name: 'unknown service',
    args: ['conn', 'test', '--conn', 'service=nope'],
    expectCode: 1,
    names: (c) => new RegExp(`service "nope" not found \\(searched ${escapeRe(c.home)}/\\.pg_service\\.conf`),
  },
  {
    name: 'malformed service file via PGSERVICEFILE',
    args: ['conn', 'test', '--conn', 'service=ops'],
    setup: (c) => void c.put('svc.conf', '[ops]\nhost db1\n'),
    env: (c) => ({ PGSERVICEFILE: path.join(c.work, 'svc.conf') }),
    expectCode: 1,
    names: (c) => `syntax error in service file "${path.join(c.work, 'svc.conf')}", line 2`,
  },
  {
    name: 'PGSERVICEFILE that is a folder',
    args: ['conn', 'test', '--conn', 'service=ops'],
    setup: (c) => fs.mkdirSync(path.join(c.work, 'svcdir')),
    env: (c) => ({ PGSERVICEFILE: path.join(c.work, 'svcdir') }),
    expectCode: 1,
    names: (c) => `service file "${path.join(c.work, 'svcdir')}" cannot be read`,
  },
  {
    name: 'bad PGPORT',
    args: ['conn', 'test', '--conn', 'host=h'],
    env: { PGPORT: 'abc' },
    expectCode: 1,
    names: '"abc" in the environment variable PGPORT',
  },
  {
    name: 'a port where nothing listens',
    args: (c) => ['conn', 'test', '--conn', tcp(c, 'user=u dbname=d')],
    setup: nobodyListens,
    expectCode: 1,
    names: (c) => `u@127.0.0.1:${c.vars.port}/d`,
    says: /no server listening/,
  },
];

/** A real server that wants a password (scram-sha-256 over TCP). */
const withServer = (c: CaseContext): void => {
  c.vars.port = String(srv().port);
  c.secrets.push(srv().password);
};
const passwords: BadInput[] = [
  {
    name: 'PGPASSFILE readable by others, against a server that needs the password',
    args: (c) => ['conn', 'test', '--conn', tcp(c, 'user=postgres dbname=postgres')],
    setup: (c) => {
      withServer(c);
      c.put('open.pgpass', `*:*:*:postgres:${srv().password}\n`, 0o644);
    },
    env: (c) => ({ PGPASSFILE: path.join(c.work, 'open.pgpass') }),
    expectCode: 1,
    names: (c) =>
      `password file "${path.join(c.work, 'open.pgpass')}" was ignored because it has group or world access`,
    says: /chmod 0600/,
  },
  {
    name: 'PGPASSFILE that is a folder',
    args: (c) => ['conn', 'test', '--conn', tcp(c, 'user=postgres dbname=postgres')],
    setup: (c) => {
      withServer(c);
      fs.mkdirSync(path.join(c.work, 'pgpass.d'));
    },
    env: (c) => ({ PGPASSFILE: path.join(c.work, 'pgpass.d') }),
    expectCode: 1,
    names: (c) => `password file "${path.join(c.work, 'pgpass.d')}" was ignored because it is not a plain file`,
  },
  {
    name: 'role name with escape sequences',
    args: (c) => ['conn', 'test', '--conn', tcp(c, "user='evil\u001b[2J\u202e' dbname=postgres")],
    setup: withServer,
    expectCode: 1,
    names: (c) => `evil\\u001b[2J\\u202e@127.0.0.1:${c.vars.port}/postgres`,
  },
  {
    name: 'database name that reads like SQL, with the right password',
    setup: withServer,
    args: (c) => [
      'conn',
      'test',
      '--conn',
      tcp(c, `user=postgres password=${srv().password} dbname='x"; DROP DATABASE postgres; --'`),
    ],
    expectCode: 1,
    names: 'Database "x"; DROP DATABASE postgres; --" does not exist',
  },
];

const hbaLint = (file: string, ...more: string[]): string[] => ['hba', 'lint', '--file', file, ...more];
const hbaFile =
  (file: string, text: string | Buffer) =>
  (c: CaseContext): void =>
    void c.put(file, text);
const hbaFiles: BadInput[] = [
  {
    name: 'pg_hba line with an unterminated quote',
    args: hbaLint('q.conf'),
    setup: hbaFile('q.conf', 'host "all all 127.0.0.1/32 trust\n'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'q.conf'),
    says: /q\.conf:1: error \[parse-error\] end-of-line before role specification/,
  },
  {
    name: 'pg_hba include loop',
    args: hbaLint('a.conf'),
    setup: (c) => {
      c.put('a.conf', 'include b.conf\n');
      c.put('b.conf', 'include a.conf\n');
    },
    expectCode: 1,
    names: (c) => path.join(c.work, 'a.conf'),
    says: /maximum nesting depth exceeded/,
  },
  {
    name: 'pg_hba include of a missing file',
    args: hbaLint('inc.conf'),
    setup: hbaFile('inc.conf', 'include missing.conf\n'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'inc.conf'),
    says: /could not open file ".*missing\.conf": No such file or directory/,
  },
  {
    name: 'pg_hba bad CIDR mask',
    args: hbaLint('cidr.conf'),
    setup: hbaFile('cidr.conf', 'host all all 10.0.0.0/33 trust\n'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'cidr.conf'),
    says: /10\.0\.0\.0\/33/,
  },
  {
    name: 'pg_hba unknown method',
    args: hbaLint('m.conf'),
    setup: hbaFile('m.conf', 'host all all 127.0.0.1/32 frobnicate\n'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'm.conf'),
    says: /invalid authentication method "frobnicate"/,
  },
  {
    name: 'pg_hba of binary garbage and escape sequences',
    args: hbaLint('bin.conf'),
    setup: hbaFile('bin.conf', garbage(4096)),
    expectCode: 1,
    names: (c) => path.join(c.work, 'bin.conf'),
  },
  {
    name: 'pg_hba with a 20000-character token on PostgreSQL 15',
    args: hbaLint('long.conf', '--pg-version', '15'),
    setup: hbaFile('long.conf', `host all ${'u'.repeat(20_000)} 127.0.0.1/32 trust\n`),
    expectCode: 1,
    names: (c) => path.join(c.work, 'long.conf'),
    says: /token too long/,
  },
  {
    name: 'pg_hba file that does not exist',
    args: hbaLint('nope.conf'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'nope.conf'),
    says: /No such file or directory/,
  },
  {
    name: 'hba check against a file the server would refuse',
    setup: hbaFile('m.conf', 'host all all 127.0.0.1/32 frobnicate\n'),
    args: [
      'hba',
      'check',
      '--file',
      'm.conf',
      '--type',
      'host',
      '--database',
      'd',
      '--user',
      'u',
      '--address',
      '127.0.0.1',
    ],
    expectCode: 1,
    names: (c) => `${path.join(c.work, 'm.conf')}:1: invalid authentication method "frobnicate"`,
  },
  {
    name: '--hba-file that does not exist, on a --conn command',
    args: (c) => ['stats', '--conn', tcp(c, 'user=u'), '--hba-file', 'nope.conf'],
    setup: nobodyListens,
    expectCode: 1,
    names: (c) => `could not open file "${path.join(c.work, 'nope.conf')}"`,
  },
];

/** A report that is valid JSON but not a valid report, its strings made to attack a terminal and a page. */
const hostileReport = JSON.stringify({
  header: '<script>alert(1)</script>\u001b]0;pwned\u0007',
  report_name: 'x\u001b[31m',
  description: '',
  sections: {
    's<img src=x onerror=alert(1)>\u001b[2J': {
      header: '',
      description: '',
      state: 'expanded',
      reports: {
        'i\u009b31m\u202e': { header: 'h', state: 'expanded', item_type: '<script>\u001b[5m', data: 'x' },
      },
    },
  },
});
const copyReport =
  (from: string, to: string) =>
  (c: CaseContext): void =>
    void c.put(to, fs.readFileSync(from));
const reports: BadInput[] = [
  {
    name: 'corrupted report (truncated JSON)',
    args: ['report', 'show', 'r.pgperf.json'],
    setup: (c) => void c.put('r.pgperf.json', '{"header": "x", "sections": {'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'r.pgperf.json'),
    says: /not valid JSON/,
  },
  {
    name: 'report whose top level is an array',
    args: ['report', 'show', 'r.json'],
    setup: (c) => void c.put('r.json', '[1, 2]'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'r.json'),
    says: /expected a JSON object, found an array/,
  },
  {
    name: 'report with an unknown item_type (html: nothing written)',
    args: ['report', 'html', 'r.json'],
    expectCode: 1,
    names: (c) => path.join(c.work, 'r.json'),
    says: /item_type: expected one of plain_text, table, chart, link, found "video"/,
    setup: (c) =>
      void c.put(
        'r.json',
        JSON.stringify({
          header: 'h',
          sections: { s: { reports: { i: { header: 'h', state: 'expanded', item_type: 'video', data: 'x' } } } },
        }),
      ),
  },
  {
    name: 'huge report (a sparse 1 GiB file, refused unread)',
    args: ['report', 'show', 'huge.pgperf.json'],
    expectCode: 1,
    names: (c) => path.join(c.work, 'huge.pgperf.json'),
    setup: (c) => fs.truncateSync(c.put('huge.pgperf.json', ''), 1024 ** 3),
    says: /is 1024 MiB; pgops reads reports up to 256 MiB/,
  },
  {
    name: 'a folder given as a report',
    args: ['report', 'show', 'dir.pgperf.json'],
    setup: (c) => fs.mkdirSync(path.join(c.work, 'dir.pgperf.json')),
    expectCode: 1,
    names: (c) => `${path.join(c.work, 'dir.pgperf.json')} is a folder`,
  },
  {
    name: 'a report that does not exist',
    args: ['report', 'show', 'missing.json'],
    expectCode: 1,
    names: (c) => path.join(c.work, 'missing.json'),
    says: /ENOENT/,
  },
  {
    name: 'XSS report that is also invalid: its strings reach the terminal escaped',
    args: ['report', 'html', 'xss.json'],
    setup: (c) => void c.put('xss.json', hostileReport),
    expectCode: 1,
    names: (c) => path.join(c.work, 'xss.json'),
    says: /reports\["i\\u009b31m\\u202e"\]\.item_type: expected one of .*found "<script>\\u001b\[5m"/,
  },
  {
    name: 'report html --out into a missing folder',
    args: ['report', 'html', 'a.json', '--out', 'no/such/folder/a.html'],
    setup: copyReport(reportA, 'a.json'),
    expectCode: 1,
    names: (c) => `the folder ${path.join(c.work, 'no', 'such', 'folder')} does not exist`,
  },
  {
    name: 'report html --out under a file, as if it were a folder',
    args: ['report', 'html', 'a.json', '--out', 'a.json/out.html'],
    setup: copyReport(reportA, 'a.json'),
    expectCode: 1,
    names: (c) => `${path.join(c.work, 'a.json')} is not a folder`,
  },
  {
    name: 'report html --out onto the report itself',
    args: ['report', 'html', 'a.json', '--out', 'a.json'],
    setup: copyReport(reportA, 'a.json'),
    expectCode: 1,
    names: '--out a.json is the report itself',
  },
];

const join = (...more: string[]): string[] => ['join', '--input-dir', 'in', '--report-name', 'merged', ...more];
const twoReports = (c: CaseContext): void => {
  copyReport(reportA, 'in/a.json')(c);
  copyReport(reportB, 'in/b.json')(c);
};
const joins: BadInput[] = [
  {
    name: 'join task file with corrupted JSON',
    args: join('--task', 'task.json'),
    setup: (c) => {
      twoReports(c);
      c.put('task.json', '{"items": [');
    },
    expectCode: 1,
    names: (c) => `${path.join(c.work, 'task.json')}: not valid JSON`,
  },
  {
    name: 'join task that does not exist',
    args: join('--task', 'nope-task'),
    setup: twoReports,
    expectCode: 1,
    names: (c) => path.join(c.work, 'nope-task'),
  },
  {
    name: 'join with one report',
    args: join('--task', 'repeatability'),
    setup: copyReport(reportA, 'in/a.json'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'in', 'a.json'),
    says: /needs at least 2 reports, got 1/,
  },
  {
    name: 'join whose required items differ',
    args: join('--task', 'repeatability'),
    setup: twoReports,
    expectCode: 1,
    names:
      'listed item sections.db.reports.pg_settings.data differs: reference report "benchmark-config-a", differing report "benchmark-config-b"',
  },
  {
    name: 'join of an input folder that does not exist',
    args: join('--task', 'repeatability'),
    expectCode: 1,
    names: (c) => path.join(c.work, 'in'),
  },
  {
    name: 'join --out FILE.json into a missing folder',
    args: join('--task', 'repeatability', '--out', 'no/such/merged.json'),
    setup: twoReports,
    expectCode: 1,
    names: (c) => `the folder ${path.join(c.work, 'no', 'such')} does not exist`,
  },
  {
    name: 'join whose --report-name would overwrite an input report',
    args: ['join', '--input-dir', 'in', '--task', 'same-host-different-config', '--report-name', 'a'],
    setup: (c) => {
      copyReport(reportA, 'in/a.pgperf.json')(c);
      copyReport(reportB, 'in/b.pgperf.json')(c);
    },
    expectCode: 1,
    names: (c) => `--report-name a would overwrite the input report ${path.join(c.work, 'in', 'a.pgperf.json')}`,
  },
  {
    name: 'join --reference with escape sequences',
    args: join('--task', 'same-host-different-config', '--reference', '<b>\u001b[31m'),
    setup: twoReports,
    expectCode: 1,
    names: 'reference report "<b>\\u001b[31m" is not among the reports',
  },
];

/** A plan file, and a bench that reads it against a port where nothing listens: the plan must fail first. */
const planCase = (name: string, plan: object, names: string | RegExp, ...more: string[]): BadInput => ({
  name,
  expectCode: 1,
  names,
  setup: async (c) => {
    await nobodyListens(c);
    c.put('p.pgbench-plan.json', JSON.stringify(plan));
  },
  args: (c) => ['bench', '--conn', tcp(c, 'user=u'), '--plan', 'p.pgbench-plan.json', ...more],
});
const plans: BadInput[] = [
  {
    name: 'plan file that does not exist',
    args: (c) => ['bench', '--conn', tcp(c, 'user=u'), '--plan', 'nope.json'],
    setup: nobodyListens,
    expectCode: 1,
    names: (c) => `Cannot read the run plan ${path.join(c.work, 'nope.json')}`,
  },
  planCase(
    'plan with clients -1',
    { values: [1], durationS: 1, clients: -1 },
    /Run plan \/.*p\.pgbench-plan\.json: clients must be a positive integer, got -1/,
  ),
  planCase(
    'plan with an unknown field',
    { values: [1], durationS: 1, clientz: 4 },
    /p\.pgbench-plan\.json: clientz is not a plan field/,
  ),
  planCase(
    'plan whose builtin is not a list',
    { values: [1], durationS: 1, builtin: 5 },
    /p\.pgbench-plan\.json: builtin must be a list, got 5/,
  ),
  planCase(
    'plan naming a script that does not exist (and --save-plan is not written)',
    { values: [1], durationS: 1, files: [{ path: 'nope.sql', weight: 1 }] },
    /files\[0\] names the script \/.*\/nope\.sql, which does not exist/,
    '--save-plan',
    'saved.json',
  ),
  {
    name: 'a received report whose plan runs its own program and reads a file outside its folder (no --trust-plan)',
    setup: async (c) => {
      await nobodyListens(c);
      const secret = `pw-${c.work.length}-planted`;
      c.secrets.push(secret);
      const secretFile = c.put('outside/.pgpass', `*:*:*:*:${secret}\n`, 0o600);
      c.put('received/r.pgperf.json', JSON.stringify(receivedReport('r', path.join(c.work, 'marker'), secretFile)));
    },
    args: (c) => ['bench', '--conn', tcp(c, 'user=u'), '--plan', 'received/r.pgperf.json'],
    expectCode: 1,
    names: /received\/r\.pgperf\.json/,
    says: (c) => new RegExp(`touch ${c.work}/marker[\\s\\S]*outside/\\.pgpass[\\s\\S]*--trust-plan`),
  },
  planCase(
    'plan naming an init program of its own (no --trust-plan)',
    { values: [1], durationS: 1, initCommand: '/usr/bin/touch INITRAN' },
    /p\.pgbench-plan\.json[\s\S]*touch INITRAN/,
  ),
  {
    name: 'plan whose script lies outside its folder (no --trust-plan)',
    setup: async (c) => {
      await nobodyListens(c);
      c.put('elsewhere/w.sql', 'SELECT 1;\n');
      c.put(
        'plans/p.pgbench-plan.json',
        JSON.stringify({ values: [1], durationS: 1, files: [{ path: '../elsewhere/w.sql', weight: 1 }] }),
      );
    },
    args: (c) => ['bench', '--conn', tcp(c, 'user=u'), '--plan', 'plans/p.pgbench-plan.json'],
    expectCode: 1,
    names: /plans\/p\.pgbench-plan\.json/,
    says: /elsewhere\/w\.sql[\s\S]*outside[\s\S]*--trust-plan/,
  },
];

const usage: BadInput[] = [
  { name: 'unknown command', args: ['frobnicate'], expectCode: 2, names: 'unknown command "frobnicate"' },
  { name: 'unknown flag', args: ['stats', '--frobnicate'], expectCode: 2, names: "'--frobnicate'" },
  {
    name: '--port abc',
    args: ['sandbox', 'status', '--port', 'abc'],
    expectCode: 2,
    names: '--port must be a non-negative integer, got "abc"',
  },
  { name: 'sandbox reset without --force', args: ['sandbox', 'reset'], expectCode: 2, names: '--force' },
  {
    name: 'slots --warn-bytes that is not a size',
    args: ['slots', '--conn', 'host=127.0.0.1 port=1', '--warn-bytes', '1GiB'],
    expectCode: 2,
    names: '--warn-bytes must be a size such as 1073741824, 512MB or 1GB, got "1GiB"',
  },
  { name: 'completion for an unknown shell', args: ['completion', 'fish'], expectCode: 2, names: '"fish"' },
  {
    name: 'waits --hz 1000',
    args: ['waits', '--conn', 'host=h', '--seconds', '1', '--hz', '1000'],
    expectCode: 2,
    names: '--hz must be between 0.01 and 100, got "1000"',
  },
  { name: 'stats --limit -5', args: ['stats', '--conn', 'host=h', '--limit', '-5'], expectCode: 2, names: "'--limit'" },
  {
    name: 'stats --limit=-5',
    args: ['stats', '--conn', 'host=h', '--limit=-5'],
    expectCode: 2,
    names: '--limit must be a non-negative integer, got "-5"',
  },
  {
    name: 'stats --order that reads like SQL',
    args: ['stats', '--conn', 'host=h', '--order', 'total; DROP TABLE t'],
    expectCode: 2,
    names: '--order must be one of',
  },
  {
    name: 'conn with an unknown action',
    args: ['conn', 'frobnicate', '--conn', 'host=h'],
    expectCode: 2,
    names: 'expected "resolve" or "test"',
  },
  {
    name: 'bench --ssh bad@@dest',
    args: (c) => benchArgs(c, '--ssh', 'bad@@dest'),
    setup: nobodyListens,
    expectCode: 1,
    names: 'SSH destination "bad@@dest"',
  },
  {
    name: 'bench --ssh-key that does not exist',
    args: (c) => benchArgs(c, '--ssh', 'u@h', '--ssh-key', 'nokey'),
    setup: nobodyListens,
    expectCode: 1,
    names: (c) => `--ssh-key ${path.join(c.work, 'nokey')}: no such file`,
  },
  {
    name: 'bench --pgbench /nonexistent',
    args: (c) => benchArgs(c, '--pgbench', '/nonexistent'),
    setup: nobodyListens,
    expectCode: 1,
    names: 'pgbench "/nonexistent" is not an executable file',
  },
  {
    name: 'bench --pgbench naming a file that is not executable',
    args: (c) => benchArgs(c, '--pgbench', 'pgbench'),
    expectCode: 1,
    setup: async (c) => {
      await nobodyListens(c);
      c.put('pgbench', '#!/bin/sh\n', 0o644);
    },
    names: (c) => `pgbench "${path.join(c.work, 'pgbench')}" is not an executable file`,
  },
  {
    name: 'bench --report-name with no usable file name',
    args: (c) => benchArgs(c, '--report-name', '...'),
    setup: nobodyListens,
    expectCode: 1,
    names: 'report name "..." gives no usable file name',
  },
];

describe('CLI bad-input battery: exit 1 or 2, the input named, no trace, nothing written or lost', function () {
  this.timeout(90_000);

  before(() => {
    // joins and `report html` make HTML from the viewer bundle; without it they would fail for another reason
    assert.ok(
      fs.existsSync(path.join(repoRoot, 'dist', 'webview', 'report.js')),
      'dist/webview/report.js missing: run `npm run build` (node scripts/build.mjs) first',
    );
  });

  for (const [group, rows] of Object.entries({
    'connection strings': connectionStrings,
    'passwords and names on a real server': passwords,
    'pg_hba files': hbaFiles,
    reports,
    joins,
    'run plans': plans,
    usage,
  })) {
    describe(group, () => {
      for (const row of rows) it(`${row.name} → exit ${row.expectCode}`, () => runBadInput(row));
    });
  }

  it('a server killed (SIGKILL) during the second iteration → exit 1 naming the server; the report keeps iteration 1', async () => {
    const binaries = availableBinaries().find((b) => b.major === 15) ?? serverMatrix()[0];
    let killed = false;
    await runBadInput({
      name: 'killed server',
      expectCode: 1,
      timeoutMs: 120_000,
      setup: async (c) => {
        const server = await startTestServer(binaries);
        c.cleanup.push(() => server.stop());
        c.vars.port = String(server.port);
        c.vars.dataDir = server.layout.dataDir;
        c.secrets.push(server.password);
        c.vars.password = server.password;
      },
      args: (c) => [
        'bench',
        '--conn',
        tcp(c, `user=postgres dbname=postgres password=${c.vars.password}`),
        '--clients',
        '1,1,1',
        // long enough that the kill, sent when iteration 2 starts, lands inside it on a loaded machine
        '--time',
        '10',
        '--out',
        'out',
        '--report-name',
        'killed',
      ],
      onStderr: (c) => (err) => {
        if (killed || !err.includes('iteration 2/3')) return;
        killed = true;
        process.kill(readPostmasterPid(c.vars.dataDir)?.pid ?? 0, 'SIGKILL');
      },
      names: (c) => `sweep against postgres@127.0.0.1:${c.vars.port}/postgres failed`,
      changes: (c, changed) => {
        const out = path.join(c.work, 'out');
        assert.deepEqual(changed, {
          added: [out, path.join(out, 'killed.html'), path.join(out, 'killed.pgperf.json')],
          removed: [],
          changed: [],
        });
        const report = JSON.parse(fs.readFileSync(path.join(out, 'killed.pgperf.json'), 'utf8')) as Report;
        assert.equal(report.pgops?.status, 'failed');
        const [first, second] = report.pgops?.iterations ?? [];
        assert.equal(first?.status, 'complete', 'the finished iteration is kept');
        assert.ok((first?.tps ?? 0) > 0);
        assert.equal(second?.status, 'failed');
      },
    });
    assert.ok(killed, 'the server was killed during the run');
  });

  describe('OAuth sign-ins that fail [PostgreSQL 18]', () => {
    let rig: OAuthRig;
    let caDir: string;
    before(async function () {
      this.timeout(120_000);
      rig = await startOAuthRig();
      caDir = tempDir('badinput-ca');
      fs.writeFileSync(path.join(caDir, 'idp-ca.pem'), rig.idp.caPem);
    });
    after(async function () {
      this.timeout(60_000);
      await rig?.stop();
      if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
    });
    const conninfo = (issuer: string, clientId: string = clients.normal): string =>
      `host=127.0.0.1 port=${rig.server.port} dbname=postgres user=alice oauth_issuer=${issuer} oauth_client_id=${clientId} oauth_scope='${oauthScope}'`;
    const trusted = (): NodeJS.ProcessEnv => ({ NODE_EXTRA_CA_CERTS: path.join(caDir, 'idp-ca.pem') });
    const tokens = (): string[] => [...rig.idp.issuedTokens, rig.idp.confidentialSecret];
    /** The person reads the code on the terminal and denies the request in the provider's pages. */
    const denies =
      (c: CaseContext) =>
      (err: string): void => {
        const m = /Visit (\S+) and enter the code: (\S+)/.exec(err);
        if (!m || c.vars.denied) return;
        c.vars.denied = 'yes';
        const approval = approveDeviceCode({
          verificationUri: m[1],
          userCode: m[2],
          account: 'alice',
          ca: rig.idp.caPem,
          deny: true,
        });
        c.cleanup.push(async () => void (await approval));
      };
    const oauthRows: BadInput[] = [
      {
        name: 'device code denied',
        args: () => ['conn', 'test', '--conn', conninfo(rig.idp.issuer)],
        env: trusted,
        onStderr: denies,
        expectCode: 1,
        names: () => `The sign-in at ${rig.idp.issuer} was denied`,
      },
      {
        name: 'device code expired',
        args: () => ['conn', 'test', '--conn', conninfo(rig.idp.issuer, clients.shortCode)],
        env: trusted,
        expectCode: 1,
        names: () => `The device code from ${rig.idp.issuer} expired`,
      },
      {
        name: 'wrong issuer',
        args: () => ['conn', 'test', '--conn', conninfo('https://127.0.0.1:9/wrong')],
        env: trusted,
        expectCode: 1,
        names: /https:\/\/127\.0\.0\.1:9\/wrong/,
      },
      {
        name: 'issuer over plain http',
        args: () => ['conn', 'test', '--conn', conninfo('http://127.0.0.1:9')],
        expectCode: 1,
        names: '"http://127.0.0.1:9"',
      },
    ];
    for (const row of oauthRows) it(`${row.name} → exit 1`, () => runBadInput(row, { secrets: tokens }));
  });
});

/**
 * The acceptance test of the pg_hba matcher: a dedicated server per version runs a pg_hba.conf of
 * varied lines; generated connection attempts go to it over the Unix socket and over TCP (plain and
 * SSL, from many 127.x.y.z source addresses, as users with real role memberships, physical and
 * logical replication). The server's decision is read from its own output: the log's
 * "Connection matched … line N" after a deliberately wrong password (or failed peer/ident),
 * "connection authenticated … (file:N)", and the outcomes only one line can produce (the single
 * trust line, the single reject line, "no pg_hba.conf entry"). The matcher must give the same line
 * for every attempt.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HbaAttempt, HbaRule } from '../../src/core/auth/hba';
import { machineInterfaces, matchHbaRule, parseHbaFile, resolveClientHostName } from '../../src/core/auth/hba';
import { chownTree, serverRunAs } from '../../src/core/sandbox/osUser';
import type { TestServer } from '../support/servers';
import { serverMatrix, startTestServer, tempDir } from '../support/servers';
import type { ProbeOutcome } from './hbaProbe';
import { probeConnection } from './hbaProbe';

const osUser = os.userInfo().username;

/** The rules; every line but the trust and reject lines authenticates with something the probe fails on purpose. */
function hbaText(major: number, extra: string): string {
  const regexLines =
    major >= 16
      ? [
          'host    /^app_[0-9]+$   all             127.0.0.0/8             scram-sha-256',
          'host    all             /^svc_          127.0.0.0/8             password',
          `include_dir ${extra}/hba.d`,
          `include_if_exists ${extra}/absent.conf`,
        ]
      : [];
  return [
    '# pgops differential test: which line does the server use?',
    'local   all             postgres                                peer map=admin',
    'local   sameuser        all                                     scram-sha-256',
    'local   db_local,"all"  +staff                                  md5',
    'local   replication     all                                     password',
    'local   all             all                                     peer',
    '',
    'hostnossl all           postgres        127.0.0.1/32            trust',
    'host    replication     repl_user       127.0.0.0/8             scram-sha-256',
    'host    "replication"   all             127.0.0.0/8             password  # a database named replication',
    'hostssl all             +staff          127.0.0.0/16            password',
    'hostnossl samerole      all             127.0.0.0/24            md5',
    // a line continued with a backslash (14+); one line before
    ...(major >= 14
      ? ['host    db_a,db_b \\', '        alice,bob       127.0.0.2/32                            scram-sha-256']
      : ['host    db_a,db_b       alice,bob       127.0.0.2/32            scram-sha-256']),
    ...regexLines,
    'host    all             carol           127.0.0.2 255.255.255.254  md5',
    'host    sameuser        all             127.1.0.0/16            password',
    `host    all             @${extra}/users.txt 127.0.0.0/8        md5`,
    'host    db_x            all             localhost               password',
    'host    all             all             samehost                ident',
    'hostnossl all           dave            127.0.0.0/8             reject',
    'host    "all"           all             127.0.0.0/8             scram-sha-256',
    'host    /^lit           all             127.0.0.0/8             md5',
    'host    all             eve,"+staff"    127.0.0.0/9             password',
    'host    db_net          all             samenet                 md5',
    'host    db_c            all             127.128.0.0/9           scram-sha-256',
    'host    replication     all             127.0.0.0/8             md5',
    'hostgssenc all          all             127.0.0.0/8             password',
    'host    all             all             ::1/128                 scram-sha-256',
    '',
  ].join('\n');
}

const roleSetup = [
  'CREATE ROLE staff NOLOGIN',
  'CREATE ROLE ops NOLOGIN IN ROLE staff',
  'CREATE ROLE db_team NOLOGIN',
  'CREATE ROLE alice LOGIN IN ROLE staff, db_team',
  'CREATE ROLE bob LOGIN IN ROLE ops',
  'CREATE ROLE carol LOGIN',
  'CREATE ROLE dave LOGIN',
  'CREATE ROLE eve LOGIN',
  'CREATE ROLE "+staff" LOGIN',
  'CREATE ROLE repl_user LOGIN REPLICATION',
  'CREATE ROLE svc_one LOGIN IN ROLE staff',
  'CREATE ROLE frank LOGIN',
];
const users = [
  'postgres',
  'alice',
  'bob',
  'carol',
  'dave',
  'eve',
  '+staff',
  'repl_user',
  'svc_one',
  'frank',
  'mallory',
  'db_team',
  'staff',
];
const databases = [
  'postgres',
  'db_local',
  'all',
  'replication',
  'db_a',
  'db_b',
  'db_c',
  'db_x',
  'db_net',
  'db_team',
  'staff',
  'app_12',
  'app_x',
  '/^lit',
  'literal',
  'db_inc',
  'other',
];
const addresses = [
  '127.0.0.1',
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.200',
  '127.0.1.7',
  '127.1.2.3',
  '127.1.0.9',
  '127.100.0.1',
  '127.130.5.5',
  '127.200.0.1',
];

/** mulberry32: a small seeded generator, so every run sends the same attempts. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generateAttempts(count: number): HbaAttempt[] {
  const rnd = random(20261122);
  const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)];
  const out: HbaAttempt[] = [];
  for (let i = 0; i < count; i += 1) {
    const local = rnd() < 0.25;
    const user = pick(users);
    const r = rnd();
    const replication = r < 0.12 ? ('physical' as const) : r < 0.2 ? ('logical' as const) : undefined;
    out.push({
      connection: local ? 'local' : 'host',
      ssl: !local && rnd() < 0.35,
      user,
      replication,
      database: rnd() < 0.15 ? user : pick(databases),
      address: local ? undefined : pick(addresses),
    });
  }
  return out;
}

/** Attempts aimed at lines random ones rarely reach. */
const targetedAttempts: HbaAttempt[] = [
  { connection: 'host', address: '127.0.0.1', user: 'postgres', database: 'postgres' },
  { connection: 'host', address: '127.0.0.1', user: 'postgres', database: 'postgres', ssl: true },
  { connection: 'host', address: '127.0.0.2', user: 'alice', database: 'db_a' },
  { connection: 'host', address: '127.0.0.2', user: 'bob', database: 'db_b', ssl: true },
  { connection: 'host', address: '127.0.0.1', user: 'eve', database: 'db_x' },
  { connection: 'host', address: '127.0.0.9', user: 'eve', database: 'db_x' },
  { connection: 'host', address: '127.0.0.5', user: 'alice', database: 'db_x', ssl: true },
  { connection: 'host', address: '127.0.0.3', user: 'dave', database: 'literal' },
  { connection: 'host', address: '127.0.0.3', user: 'dave', database: 'literal', ssl: true },
  { connection: 'host', address: '127.0.0.3', user: 'frank', database: 'app_12' },
  { connection: 'host', address: '127.0.0.3', user: 'svc_one', database: 'other' },
  { connection: 'host', address: '127.0.0.3', user: 'frank', database: 'db_inc' },
  { connection: 'host', address: '127.1.0.1', user: 'carol', database: 'carol' },
  { connection: 'host', address: '127.0.0.2', user: 'carol', database: 'db_c' },
  { connection: 'host', address: '127.0.0.4', user: 'repl_user', database: 'x', replication: 'physical' },
  { connection: 'host', address: '127.0.0.4', user: 'eve', database: 'x', replication: 'physical' },
  { connection: 'host', address: '127.200.0.4', user: 'mallory', database: 'db_c', replication: 'logical' },
  { connection: 'local', user: 'postgres', database: 'postgres' },
  { connection: 'local', user: 'alice', database: 'db_local' },
  { connection: 'local', user: 'mallory', database: 'replication', replication: 'physical' },
];

/** Role memberships as the server computes them (pg_auth_members, recursively; superusers get nothing implicit). */
async function memberships(srv: TestServer): Promise<Map<string, string[]>> {
  const admin = await srv.admin();
  try {
    const { rows } = await admin.query<{ member: string; roles: string[] }>(`WITH RECURSIVE m(member, roleid) AS (
        SELECT am.member, am.roleid FROM pg_auth_members am
        UNION SELECT m.member, am.roleid FROM m JOIN pg_auth_members am ON am.member = m.roleid)
      SELECT r.rolname AS member, array_agg(g.rolname ORDER BY g.rolname) AS roles
      FROM m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid GROUP BY r.rolname`);
    const all = await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles');
    const map = new Map<string, string[]>(all.rows.map((r) => [r.rolname, []]));
    for (const row of rows) map.set(row.member, row.roles);
    return map;
  } finally {
    await admin.end();
  }
}

interface ServerAnswer {
  kind: 'line' | 'no-match';
  file?: string;
  line?: number;
}

/** The line the server used, from the probe's outcome and the log it wrote while handling the attempt. */
function serverAnswer(outcome: ProbeOutcome, log: string, rules: HbaRule[], attempt: HbaAttempt): ServerAnswer {
  if (outcome.kind === 'error' && /^no pg_hba\.conf entry/.test(outcome.message)) return { kind: 'no-match' };
  const detail = /Connection matched (?:file "([^"]+)" line|pg_hba\.conf line) (\d+):/.exec(log);
  if (detail) return { kind: 'line', file: detail[1], line: Number(detail[2]) };
  const authenticated = /connection authenticated: .*\((.+):(\d+)\)/.exec(log);
  if (authenticated) return { kind: 'line', file: authenticated[1], line: Number(authenticated[2]) };
  const only = (method: string, type: (r: HbaRule) => boolean): ServerAnswer => {
    const candidates = rules.filter((r) => r.method === method && type(r));
    assert.equal(candidates.length, 1, `the test file must have exactly one ${method} line of this connection type`);
    return { kind: 'line', file: candidates[0].source.file, line: candidates[0].source.line };
  };
  if (outcome.kind === 'error' && /^pg_hba\.conf rejects/.test(outcome.message)) return only('reject', () => true);
  if (outcome.kind === 'ok')
    return only(
      attempt.connection === 'local' ? 'peer' : 'trust',
      (r) =>
        (r.type === 'local') === (attempt.connection === 'local') &&
        (r.method !== 'peer' || r.options.map !== undefined),
    );
  throw new Error(`cannot tell which line the server used: ${JSON.stringify(outcome)}; log:\n${log}`);
}

function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=localhost',
      '-days',
      '2',
    ],
    { stdio: 'pipe' },
  );
  const runAs = serverRunAs();
  chownTree(cert, runAs);
  chownTree(key, runAs);
  fs.chmodSync(key, 0o600);
  return { cert, key };
}

for (const binaries of serverMatrix()) {
  describe(`hba differential: matcher vs server [PostgreSQL ${binaries.major}]`, function () {
    this.timeout(300_000);
    let srv: TestServer | undefined;
    let extra: string;

    before(async () => {
      extra = tempDir('hba-diff');
      fs.writeFileSync(path.join(extra, 'users.txt'), '# @file list\ncarol, frank\n"+staff"\n');
      fs.mkdirSync(path.join(extra, 'hba.d'));
      fs.writeFileSync(path.join(extra, 'hba.d', '10-extra.conf'), '# included\n\nhost db_inc all 127.0.0.0/8 md5\n');
      fs.writeFileSync(path.join(extra, 'hba.d', 'ignored.txt'), 'host all all all trust\n');
      for (const f of ['users.txt', 'hba.d', 'hba.d/10-extra.conf', 'hba.d/ignored.txt'])
        fs.chmodSync(path.join(extra, f), f === 'hba.d' ? 0o755 : 0o644);
      const { cert, key } = makeCertificate(extra);
      srv = await startTestServer(binaries, {
        hba: hbaText(binaries.major, extra),
        ident: `admin ${osUser} postgres\n`,
        settings: { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key, password_encryption: 'scram-sha-256' },
      });
      const admin = await srv.admin();
      try {
        for (const sql of roleSetup) await admin.query(sql);
      } finally {
        await admin.end();
      }
    });

    after(async () => {
      await srv?.stop();
      if (extra) fs.rmSync(extra, { recursive: true, force: true });
    });

    it("gives the server's answer for all 260 attempts (20 aimed at lines, 240 generated) and reaches every reachable line", async () => {
      const server = srv as TestServer;
      const hbaFile = path.join(server.layout.dataDir, 'pg_hba.conf');
      const parsed = parseHbaFile(hbaFile, { traits: { major: binaries.major, ssl: true } });
      assert.deepEqual(
        parsed.problems.filter((p) => p.severity === 'error'),
        [],
      );
      assert.ok(parsed.rules.length >= 20, `the test file has ${parsed.rules.length} rules`);
      const members = await memberships(server);
      const interfaces = machineInterfaces();
      const mismatches: string[] = [];
      const seen = new Set<string>();
      let offset = fs.statSync(server.layout.logFile).size;
      const attempts = [...targetedAttempts, ...generateAttempts(240)];
      for (const attempt of attempts) {
        attempt.memberOf = members.get(attempt.user) ?? [];
        attempt.userExists = members.has(attempt.user);
        if (attempt.address) attempt.clientHostName = await resolveClientHostName(attempt.address);
        const outcome = await probeConnection({
          socketPath:
            attempt.connection === 'local' ? path.join(server.socketDir, `.s.PGSQL.${server.port}`) : undefined,
          host: server.host,
          port: server.port,
          localAddress: attempt.address,
          ssl: attempt.ssl,
          user: attempt.user,
          database: attempt.database,
          replication: attempt.replication,
        });
        const log = fs.readFileSync(server.layout.logFile, 'utf8').slice(offset);
        offset += Buffer.byteLength(log);
        const expected = serverAnswer(outcome, log, parsed.rules, attempt);
        const got = matchHbaRule(parsed.rules, attempt, { major: binaries.major, interfaces });
        const gotAnswer: ServerAnswer =
          got.kind === 'matched'
            ? { kind: 'line', file: got.rule.source.file, line: got.rule.source.line }
            : { kind: got.kind === 'no-match' ? 'no-match' : 'line' };
        const same =
          expected.kind === gotAnswer.kind &&
          expected.line === gotAnswer.line &&
          (expected.file === undefined || expected.file === gotAnswer.file);
        seen.add(
          expected.kind === 'no-match' ? 'none' : `${path.basename(expected.file ?? 'pg_hba.conf')}:${expected.line}`,
        );
        if (!same)
          mismatches.push(
            `${JSON.stringify({ ...attempt, memberOf: undefined })}: server ` +
              `${JSON.stringify(expected)}, matcher ` +
              `${JSON.stringify(got.kind === 'undetermined' ? got.reason : gotAnswer)}`,
          );
      }
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${attempts.length} attempts differ`);
      // Every line an IPv4 client without GSSAPI can reach was reached, and so was "no line matches".
      const reachable = parsed.rules
        .filter((r) => r.type !== 'hostgssenc' && !(r.address?.kind === 'ip' && r.address.family === 6))
        .map((r) => `${path.basename(r.source.file)}:${r.source.line}`);
      assert.deepEqual(
        [...reachable, 'none'].filter((k) => !seen.has(k)),
        [],
        'lines no attempt reached',
      );
    });
  });
}

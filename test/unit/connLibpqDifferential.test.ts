/**
 * Differential test against the real libpq on this machine (Debian's libpq5, driven through
 * python3's ctypes): for each input and environment, what PQconninfoParse and PQconnectStart +
 * PQconninfo + PQpass report must equal what our resolver computes. libpq 15 is the oracle, so
 * keywords newer than 15 (load_balance_hosts, sslnegotiation…) are covered by the other unit tests.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConnString } from '../../src/core/conn/conninfo';
import { pgpassFor, resolveConnection } from '../../src/core/conn/resolve';
import type { ResolveContext } from '../../src/core/conn/resolve';

const oracle = String.raw`
import ctypes, json, os, sys
from ctypes import c_char_p, c_int, c_void_p, POINTER, Structure, byref
lib = ctypes.CDLL('libpq.so.5')
class Opt(Structure):
    _fields_ = [('keyword', c_char_p), ('envvar', c_char_p), ('compiled', c_char_p), ('val', c_char_p),
                ('label', c_char_p), ('dispchar', c_char_p), ('dispsize', c_int)]
lib.PQconninfoParse.restype = POINTER(Opt); lib.PQconninfoParse.argtypes = [c_char_p, POINTER(c_char_p)]
lib.PQconnectStart.restype = c_void_p; lib.PQconnectStart.argtypes = [c_char_p]
lib.PQconninfo.restype = POINTER(Opt); lib.PQconninfo.argtypes = [c_void_p]
lib.PQpass.restype = c_char_p; lib.PQpass.argtypes = [c_void_p]
lib.PQerrorMessage.restype = c_char_p; lib.PQerrorMessage.argtypes = [c_void_p]
lib.PQfinish.argtypes = [c_void_p]
def opts(p):
    out = {}; i = 0
    while p[i].keyword:
        if p[i].val is not None: out[p[i].keyword.decode()] = p[i].val.decode()
        i += 1
    return out
results = []
base = {k: v for k, v in os.environ.items() if not k.startswith('PG')}
for case in json.load(sys.stdin):
    os.environ.clear(); os.environ.update(base); os.environ.update(case['env'])
    err = c_char_p()
    parsed = lib.PQconninfoParse(case['input'].encode(), byref(err))
    r = {'parsed': opts(parsed) if parsed else None, 'parseError': err.value.decode() if err.value else None}
    if parsed:
        conn = lib.PQconnectStart(case['input'].encode())
        r['resolved'] = opts(lib.PQconninfo(conn))
        pw = lib.PQpass(conn); r['pass'] = pw.decode() if pw else None
        r['error'] = lib.PQerrorMessage(conn).decode()
        lib.PQfinish(conn)
    results.append(r)
print(json.dumps(results))
`;

interface Case {
  input: string;
  env?: Record<string, string>;
}
interface OracleResult {
  parsed: Record<string, string> | null;
  parseError: string | null;
  resolved?: Record<string, string>;
  pass?: string | null;
  error?: string;
}

function runOracle(cases: Array<Required<Case>>): OracleResult[] {
  const out = execFileSync('python3', ['-c', oracle], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return JSON.parse(out) as OracleResult[];
}

const compared = [
  'host',
  'hostaddr',
  'port',
  'user',
  'dbname',
  'password',
  'sslmode',
  'target_session_attrs',
  'connect_timeout',
  'application_name',
  'sslrootcert',
  'sslcert',
  'sslkey',
];

describe('conn: resolution agrees with the real libpq (differential, libpq 15)', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-libpq-diff-'));
  const home = path.join(dir, 'home');
  const sysconf = path.join(dir, 'sysconf');
  fs.mkdirSync(home);
  fs.mkdirSync(sysconf);
  // Every host is a socket directory that does not exist or a closed port on 127.0.0.1, so libpq's
  // connection attempt fails fast and touches nothing.
  fs.writeFileSync(
    path.join(home, '.pg_service.conf'),
    [
      '# user service file',
      '[usersvc]',
      'host=/nonexistent/user',
      'port=6001',
      'dbname=fromuser',
      'user=svcuser',
      'sslmode=disable',
      '',
      '[both]',
      'dbname=userwins',
      '',
      '[ordered]',
      'dbname=first',
      'dbname=second',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(sysconf, 'pg_service.conf'),
    [
      '[syssvc]',
      'host=/nonexistent/sys',
      'port=6002',
      'application_name=from sys file',
      '',
      '[both]',
      'dbname=syswins',
      'port=6003',
      '',
    ].join('\n'),
  );
  const altService = path.join(dir, 'alt_service.conf');
  fs.writeFileSync(
    altService,
    ['[alt]', '  host=/nonexistent/alt   ', 'target_session_attrs=read-write', ''].join('\n'),
  );
  const pgpass = path.join(dir, 'pgpass');
  fs.writeFileSync(
    pgpass,
    [
      '# comment line',
      '/nonexistent/a:5432:db1:alice:pw-a',
      'localhost:5432:*:bob:pw-bob-local',
      '/nonexistent/b:*:*:bob:pw\\:with\\\\escapes:tail',
      'h\\:x:*:*:*:never',
      '*:*:db\\:2:*:pw-db2',
      '*:6001:*:svcuser:pw-svc',
      '*:*:*:carol:pw-carol',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  fs.chmodSync(pgpass, 0o600);
  fs.copyFileSync(pgpass, path.join(home, '.pgpass'));
  fs.chmodSync(path.join(home, '.pgpass'), 0o600);
  const openPgpass = path.join(dir, 'pgpass-open');
  fs.copyFileSync(pgpass, openPgpass);
  fs.chmodSync(openPgpass, 0o644);

  const ctx = (env: Record<string, string>): ResolveContext => ({
    env,
    homeDir: env.HOME ?? home,
    osUser: os.userInfo().username,
    defaultSocketDir: '/var/run/postgresql',
    sysconfDir: '/etc/postgresql-common',
  });
  const baseEnv = { HOME: home, PGSYSCONFDIR: sysconf };

  const cases: Case[] = [
    { input: 'host=/nonexistent/a dbname=db1 user=alice' },
    { input: 'host=/nonexistent/a dbname=db1 user=alice password=explicit' },
    { input: 'postgresql://alice@%2Fnonexistent%2Fa/db1' },
    { input: 'postgresql://alice:fromuri@%2Fnonexistent%2Fa/db1?sslmode=disable' },
    { input: 'dbname=x user=bob' },
    { input: 'host=/var/run/postgresql port=1 dbname=x user=bob' },
    { input: 'host=/nonexistent/b port=7000 dbname=any user=bob' },
    { input: 'host=127.0.0.1 port=1 dbname=db:2 user=zed connect_timeout=2' },
    { input: 'host=127.0.0.1 port=1 user=carol' },
    { input: 'host=127.0.0.1 port=1 user=carol', env: { PGPASSWORD: 'from-env' } },
    { input: 'host=127.0.0.1 port=1 user=carol', env: { PGPASSFILE: openPgpass } },
    { input: 'host=127.0.0.1 port=1 user=dave', env: { PGPASSFILE: pgpass } },
    { input: 'host=127.0.0.1 port=1 user=carol', env: { PGPASSFILE: pgpass } },
    { input: 'service=usersvc' },
    { input: 'service=usersvc dbname=explicit sslmode=require' },
    { input: 'service=usersvc', env: { PGDATABASE: 'envdb', PGAPPNAME: 'envapp', PGPASSFILE: pgpass } },
    { input: 'service=syssvc' },
    { input: 'service=both' },
    { input: 'service=ordered' },
    { input: 'dbname=x', env: { PGSERVICE: 'usersvc' } },
    { input: 'service=alt', env: { PGSERVICEFILE: altService } },
    { input: 'service=nosuch' },
    {
      input: 'user=u',
      env: {
        PGHOST: '/nonexistent/env',
        PGPORT: '7777',
        PGDATABASE: 'envdb',
        PGSSLMODE: 'verify-ca',
        PGTARGETSESSIONATTRS: 'read-only',
        PGCONNECT_TIMEOUT: '5',
        PGSSLROOTCERT: '/x/root.crt',
        PGSSLCERT: '/x/c.crt',
        PGSSLKEY: '/x/c.key',
        PGAPPNAME: 'app',
      },
    },
    { input: 'host=/nonexistent/a,/nonexistent/b port=5001,5002 dbname=d user=u' },
    { input: 'host=/nonexistent/a,/nonexistent/b port=5001 dbname=d user=u' },
    { input: 'host=/nonexistent/a,/nonexistent/b port=5001,5002,5003 dbname=d user=u' },
    { input: 'postgresql://%2Fnonexistent%2Fa:5001,%2Fnonexistent%2Fb/d' },
    { input: 'hostaddr=127.0.0.1 port=1 dbname=d user=carol', env: { PGPASSFILE: pgpass } },
    { input: 'host=/nonexistent/a sslmode=bogus' },
    { input: 'host=/nonexistent/a target_session_attrs=primary' },
    { input: 'host=/nonexistent/a target_session_attrs=nonsense' },
    { input: 'host=/nonexistent/a port=abc' },
    { input: "host='/nonexistent/a' dbname='it\\'s' user = 'a b'" },
    { input: 'host=/nonexistent/a port' },
    { input: "dbname='open" },
    { input: 'nosuchkeyword=1' },
    { input: 'postgresql://h/d?nosuch=1' },
    { input: 'postgresql://[::1/d' },
    { input: 'postgresql:///d?host=/nonexistent/q&port=5999&ssl=true' },
    { input: 'postgresql://u%40x:p%3Aw@%2Fnonexistent%2Fa:5003/d%20b?application_name=a%26b' },
    { input: 'postgresql://%2Fnonexistent%2Fa/d%zz' },
  ];
  const full = cases.map((c) => ({ input: c.input, env: { ...baseEnv, ...c.env } }));
  let results: OracleResult[];

  before(() => {
    results = runOracle(full);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`has libpq's answer for all ${cases.length} cases, covering passwords, config errors and parse errors`, () => {
    assert.equal(results.length, cases.length);
    assert.ok(results.filter((r) => r.pass).length >= 8, 'cases where libpq found a password');
    assert.ok(results.filter((r) => r.parseError).length >= 6, 'cases libpq refuses to parse');
    assert.ok(
      results.filter((r) => r.error && /port numbers|invalid|not found/.test(r.error)).length >= 4,
      'cases libpq refuses to resolve',
    );
  });

  full.forEach((c, i) => {
    it(`${c.input}${
      Object.keys(c.env).length > 2
        ? ` with ${Object.keys(c.env)
            .filter((k) => !(k in baseEnv))
            .join(',')}`
        : ''
    }`, () => {
      const lib = results[i];
      let parsed: Record<string, string> | undefined;
      try {
        parsed = parseConnString(c.input);
      } catch (err) {
        assert.ok(lib.parseError, `we refused to parse what libpq parses: ${(err as Error).message}`);
        return;
      }
      assert.equal(lib.parseError, null, `libpq refused to parse: ${lib.parseError}`);
      assert.deepEqual(parsed, lib.parsed);
      const libConfigError =
        lib.error && !/^connection to server|could not connect|Connection refused|No such file/m.test(lib.error)
          ? lib.error
          : undefined;
      let ours;
      try {
        ours = resolveConnection(c.input, ctx(c.env));
      } catch (err) {
        assert.ok(libConfigError, `we refused what libpq accepts: ${(err as Error).message}`);
        return;
      }
      assert.equal(libConfigError, undefined, `libpq refused it: ${libConfigError}`);
      const libValues = lib.resolved ?? {};
      for (const key of compared) assert.equal(ours.params[key], libValues[key], `${key}`);
      const pass = pgpassFor(ours, ours.hosts[0]).password;
      assert.equal(ours.params.password ?? pass ?? null, lib.pass ?? null, 'password libpq would send');
    });
  });
});

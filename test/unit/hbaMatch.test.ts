import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { HbaAttempt, HbaMatch, MatchEnvironment } from '../../src/core/auth/hba';
import {
  attemptFromServerMessage,
  explainAuthFailure,
  isAuthFailure,
  matchHbaRule,
  matchIdentMap,
  parseHbaFile,
  parseIdentFile,
} from '../../src/core/auth/hba';

const fixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'hba');

function lineOf(text: string, attempt: HbaAttempt, env: MatchEnvironment = {}): number | string {
  const parsed = parseHbaFile('/virtual/pg_hba.conf', { text, traits: { major: env.major ?? 18 } });
  assert.deepEqual(
    parsed.problems.filter((p) => p.severity === 'error'),
    [],
  );
  const m: HbaMatch = matchHbaRule(parsed.rules, attempt, env);
  return m.kind === 'matched' ? m.rule.source.line : m.kind;
}

const tcp = (over: Partial<HbaAttempt>): HbaAttempt => ({
  connection: 'host',
  address: '10.0.0.5',
  database: 'app',
  user: 'alice',
  memberOf: [],
  ...over,
});
const sock = (over: Partial<HbaAttempt>): HbaAttempt => ({
  connection: 'local',
  database: 'app',
  user: 'alice',
  memberOf: [],
  ...over,
});

describe('pg_hba matcher (hba.c check_hba semantics)', () => {
  it('takes the first matching line, with no fall-through', () => {
    assert.equal(lineOf('host all alice all reject\nhost all all all trust\n', tcp({})), 1);
    assert.equal(lineOf('host all alice all reject\nhost all all all trust\n', tcp({ user: 'bob' })), 2);
    assert.equal(lineOf('host app bob all trust\n', tcp({})), 'no-match');
  });

  it('matches the connection type: local, host, hostssl, hostnossl, hostgssenc, hostnogssenc', () => {
    const text =
      'local all all trust\nhostssl all all all trust\nhostgssenc all all all trust\nhostnossl all all all trust\n';
    assert.equal(lineOf(text, sock({})), 1);
    assert.equal(lineOf(text, tcp({ ssl: true })), 2);
    assert.equal(lineOf(text, tcp({ gssenc: true })), 3);
    assert.equal(lineOf(text, tcp({})), 4);
    assert.equal(lineOf('hostnogssenc all all all trust\n', tcp({ gssenc: true })), 'no-match');
    assert.equal(lineOf('host all all all trust\n', sock({})), 'no-match');
  });

  it('lets only the replication keyword match physical replication; logical replication matches by database name', () => {
    const text = 'host all all all md5\nhost replication all all trust\n';
    assert.equal(lineOf(text, tcp({ replication: 'physical' })), 2);
    assert.equal(lineOf(text, tcp({ replication: 'logical' })), 1);
    assert.equal(lineOf('host replication all all trust\n', tcp({ database: 'replication' })), 'no-match');
    assert.equal(lineOf('host "replication" all all trust\n', tcp({ database: 'replication' })), 1);
    assert.equal(lineOf('host "replication" all all trust\n', tcp({ replication: 'physical' })), 'no-match');
  });

  it('reads sameuser, samerole/samegroup (membership, the user itself included) and quoted keywords as names', () => {
    assert.equal(lineOf('host sameuser all all trust\n', tcp({ database: 'alice' })), 1);
    assert.equal(lineOf('host sameuser all all trust\n', tcp({ database: 'bob' })), 'no-match');
    assert.equal(lineOf('host samerole all all trust\n', tcp({ database: 'staff', memberOf: ['staff'] })), 1);
    assert.equal(lineOf('host samegroup all all trust\n', tcp({ database: 'alice' })), 1);
    assert.equal(lineOf('host samerole all all trust\n', tcp({ database: 'alice', userExists: false })), 'no-match');
    assert.equal(lineOf('host "all" all all trust\n', tcp({})), 'no-match');
    assert.equal(lineOf('host "all" all all trust\n', tcp({ database: 'all' })), 1);
    assert.equal(lineOf('host "sameuser" all all trust\n', tcp({ database: 'alice' })), 'no-match');
  });

  it('matches +group by direct or indirect membership given with the attempt, and a quoted "+group" as a name', () => {
    assert.equal(lineOf('host all +staff all trust\n', tcp({ memberOf: ['ops', 'staff'] })), 1);
    assert.equal(lineOf('host all +staff all trust\n', tcp({ memberOf: [] })), 'no-match');
    assert.equal(lineOf('host all +alice all trust\n', tcp({})), 1, 'a role is a member of itself');
    assert.equal(lineOf('host all "+staff" all trust\n', tcp({ user: '+staff' })), 1);
    assert.equal(lineOf('host all +staff all trust\n', tcp({ memberOf: undefined })), 'undetermined');
    assert.equal(
      lineOf('host other +staff all trust\nhost all all all md5\n', tcp({ memberOf: undefined })),
      2,
      'an unknown fact on a line that fails anyway does not matter',
    );
  });

  it('matches regular expressions from PostgreSQL 16, unanchored unless anchored, and literally before', () => {
    assert.equal(lineOf('host /^app_\\d+$ all all trust\n', tcp({ database: 'app_12' })), 1);
    assert.equal(lineOf('host /^app_\\d+$ all all trust\n', tcp({ database: 'app_x' })), 'no-match');
    assert.equal(lineOf('host all /svc all trust\n', tcp({ user: 'my_svc_user' })), 1);
    assert.equal(lineOf('host all /svc all trust\n', tcp({ user: 'my_svc_user' }), { major: 15 }), 'no-match');
    assert.equal(lineOf('host all /svc all trust\n', tcp({ user: '/svc' }), { major: 15 }), 1);
    assert.equal(lineOf('host all /^[[:digit:]]+$ all trust\n', tcp({ user: '123' })), 1);
  });

  it('matches addresses by family and mask: CIDR, separate masks, IPv6, never IPv4 rules for IPv6 clients', () => {
    assert.equal(lineOf('host all all 10.0.0.0/8 trust\n', tcp({ address: '10.200.1.1' })), 1);
    assert.equal(lineOf('host all all 10.0.0.0/8 trust\n', tcp({ address: '11.0.0.1' })), 'no-match');
    assert.equal(lineOf('host all all 192.168.1.0 255.255.255.0 trust\n', tcp({ address: '192.168.1.77' })), 1);
    assert.equal(
      lineOf('host all all 192.168.1.0 255.255.255.0 trust\n', tcp({ address: '192.168.2.77' })),
      'no-match',
    );
    assert.equal(lineOf('host all all fe80::/10 trust\n', tcp({ address: 'fe80::1234' })), 1);
    assert.equal(lineOf('host all all 0.0.0.0/0 trust\n', tcp({ address: '::ffff:10.0.0.1' })), 'no-match');
    assert.equal(lineOf('host all all ::/0 trust\n', tcp({ address: '127.0.0.1' })), 'no-match');
    assert.equal(lineOf('host all all all trust\n', tcp({ address: '::1' })), 1);
  });

  it('needs the client host name for host-name lines, and matches names and .suffixes without regard to case', () => {
    const text = 'host all all .Example.com trust\nhost all all db1.internal md5\n';
    assert.equal(lineOf(text, tcp({})), 'undetermined');
    assert.equal(lineOf(text, tcp({ clientHostName: 'web.example.COM' })), 1);
    assert.equal(lineOf(text, tcp({ clientHostName: 'example.com' })), 'no-match', 'a suffix needs a longer name');
    assert.equal(lineOf(text, tcp({ clientHostName: 'DB1.internal' })), 2);
    assert.equal(lineOf(text, tcp({ clientHostName: null })), 'no-match');
  });

  it('matches samehost and samenet against the given interfaces', () => {
    const interfaces = [
      { address: '127.0.0.1', netmask: '255.0.0.0' },
      { address: '10.1.2.3', netmask: '255.255.0.0' },
    ];
    assert.equal(lineOf('host all all samehost trust\n', tcp({ address: '10.1.2.3' }), { interfaces }), 1);
    assert.equal(lineOf('host all all samehost trust\n', tcp({ address: '10.1.9.9' }), { interfaces }), 'no-match');
    assert.equal(lineOf('host all all samenet trust\n', tcp({ address: '10.1.9.9' }), { interfaces }), 1);
    assert.equal(lineOf('host all all samenet trust\n', tcp({ address: '10.2.0.1' }), { interfaces }), 'no-match');
    assert.equal(lineOf('host all all samenet trust\n', tcp({ address: '10.2.0.1' })), 'undetermined');
  });

  it('reports ident on a local line as peer, as the server does', () => {
    const parsed = parseHbaFile('/virtual/pg_hba.conf', { text: 'local all all ident\n' });
    const m = matchHbaRule(parsed.rules, sock({}));
    assert.ok(m.kind === 'matched' && m.rule.method === 'peer' && /uses peer/.test(m.notes[0]));
  });
});

describe('pg_ident map matcher', () => {
  const ident = parseIdentFile(path.join(fixtures, 'pg_ident.conf'));
  it('finds the line for exact names, regexes with \\1, +group and all (16+)', () => {
    assert.equal(matchIdentMap(ident.rules, 'admins', 'root', 'postgres')?.source.line, 2);
    assert.equal(matchIdentMap(ident.rules, 'admins', 'root', 'alice'), undefined);
    assert.equal(matchIdentMap(ident.rules, 'certs', 'carol@example.com', 'carol')?.source.line, 3);
    assert.equal(matchIdentMap(ident.rules, 'certs', 'carol@example.com', 'bob'), undefined);
    assert.equal(matchIdentMap(ident.rules, 'oauthmap', 'dan@corp', 'dan_ro')?.source.line, 4);
    assert.equal(
      matchIdentMap(ident.rules, 'oauthmap', 'alice@corp', 'alice', { memberOf: ['staff'] })?.source.line,
      5,
    );
    assert.equal(matchIdentMap(ident.rules, 'oauthmap', 'alice@corp', 'alice', { memberOf: [], major: 16 }), undefined);
    assert.equal(matchIdentMap(ident.rules, 'oauthmap', 'ops-bot', 'anyone')?.source.line, 6);
    assert.equal(
      matchIdentMap(ident.rules, 'oauthmap', 'ops-bot', 'anyone', { major: 15 }),
      undefined,
      'all is a plain name before 16',
    );
  });
});

describe('explaining authentication failures', () => {
  const rules = parseHbaFile('/etc/pg/pg_hba.conf', {
    text: '# x\nhost all alice 10.0.0.0/8 scram-sha-256\nhost all bob all reject\n',
  }).rules;

  it('names the rule (file, line), its method and the next step', () => {
    const e = explainAuthFailure(rules, tcp({}));
    assert.deepEqual(e.rule, { file: '/etc/pg/pg_hba.conf', line: 2, text: 'host all alice 10.0.0.0/8 scram-sha-256' });
    assert.equal(e.method, 'scram-sha-256');
    assert.match(e.nextStep, /password/);
    assert.match(explainAuthFailure(rules, tcp({ user: 'bob' })).nextStep, /refuses the connection on purpose/);
  });

  it('says when no line matches and proposes one', () => {
    const e = explainAuthFailure(rules, tcp({ user: 'carol', address: '192.0.2.7' }));
    assert.equal(e.rule, null);
    assert.equal(e.method, null);
    assert.match(e.nextStep, /host app carol 192\.0\.2\.7\/32 scram-sha-256/);
  });

  it('recognizes the server errors and reads the attempt from their text', () => {
    assert.equal(isAuthFailure({ code: '28P01', message: 'password authentication failed for user "x"' }), true);
    assert.equal(isAuthFailure({ code: '3D000', message: 'database "x" does not exist' }), false);
    assert.deepEqual(
      attemptFromServerMessage('no pg_hba.conf entry for host "10.1.2.3", user "bob", database "app", SSL encryption'),
      { connection: 'host', address: '10.1.2.3', ssl: true, gssenc: false, user: 'bob', database: 'app' },
    );
    assert.deepEqual(
      attemptFromServerMessage(
        'no pg_hba.conf entry for replication connection from host "[local]", user "r", no encryption',
      ),
      { connection: 'local', user: 'r', replication: 'physical' },
    );
    assert.equal(attemptFromServerMessage('something else'), undefined);
  });
});

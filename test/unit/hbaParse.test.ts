import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuthFileReader, HbaRule, ParsedHba } from '../../src/core/auth/hba';
import { hasErrors, parseHbaFile, parseIdentFile } from '../../src/core/auth/hba';

const fixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'hba');
const fixture = path.join(fixtures, 'pg_hba.conf');

/** Parses in-memory text as /virtual/pg_hba.conf (other files come from `files`). */
function parseText(
  text: string,
  major = 18,
  files: Record<string, string> = {},
  extra: Partial<{ oauthValidatorLibraries: string[]; ssl: boolean }> = {},
): ParsedHba {
  const reader: AuthFileReader = {
    read: (f) => {
      if (f in files) return files[f];
      throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
    },
    listFiles: (d) =>
      Object.keys(files)
        .filter((f) => path.dirname(f) === d)
        .map((f) => path.basename(f)),
  };
  return parseHbaFile('/virtual/pg_hba.conf', { text, reader, traits: { major, ...extra } });
}

function only(parsed: ParsedHba): HbaRule {
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.rules.length, 1);
  return parsed.rules[0];
}

function errorOf(text: string, major = 18): { line: number; message: string; file: string } {
  const p = parseText(text, major);
  const e = p.problems.find((x) => x.severity === 'error');
  assert.ok(e, `expected an error for: ${text}`);
  return { line: e.line, message: e.message, file: e.file };
}

const at = (p: ParsedHba, file: string, line: number): HbaRule => {
  const r = p.rules.find((x) => path.basename(x.source.file) === file && x.source.line === line);
  assert.ok(r, `no rule at ${file}:${line}`);
  return r;
};

describe('pg_hba.conf parser', () => {
  const parsed = parseHbaFile(fixture, { traits: { major: 18, oauthValidatorLibraries: ['v1'] } });

  it('reads the fixture with every form, numbering records by their first physical line', () => {
    assert.equal(hasErrors(parsed), false);
    assert.deepEqual(
      parsed.rules.map((r) => `${path.basename(r.source.file)}:${r.source.line}`),
      [
        'pg_hba.conf:2',
        'pg_hba.conf:3',
        'pg_hba.conf:4',
        'pg_hba.conf:5',
        'pg_hba.conf:6',
        'pg_hba.conf:7',
        'pg_hba.conf:8',
        'pg_hba.conf:9',
        'pg_hba.conf:10',
        'pg_hba.conf:11',
        'pg_hba.conf:12',
        'pg_hba.conf:13',
        'pg_hba.conf:14',
        'pg_hba.conf:15',
        'extra.conf:1',
        '10-a.conf:1',
        '20-b.conf:2',
        'pg_hba.conf:21',
      ],
    );
    assert.deepEqual(
      parsed.rules.map((r) => r.ruleNumber),
      parsed.rules.map((_, i) => i + 1),
    );
  });

  it('knows all six record types', () => {
    assert.deepEqual(
      [2, 6, 8, 9, 10, 11].map((l) => at(parsed, 'pg_hba.conf', l).type),
      ['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'],
    );
  });

  it('keeps keywords unquoted and makes quoted keywords plain names', () => {
    assert.deepEqual(at(parsed, 'pg_hba.conf', 4).databases, [
      { text: 'samerole', quoted: false },
      { text: 'samegroup', quoted: false },
    ]);
    assert.deepEqual(at(parsed, 'pg_hba.conf', 6).databases, [{ text: 'all', quoted: true }]);
    assert.deepEqual(at(parsed, 'pg_hba.conf', 6).users, [{ text: '+staff', quoted: true }]);
    assert.deepEqual(at(parsed, 'pg_hba.conf', 13).users, [{ text: 'quoted user', quoted: true }]);
    assert.deepEqual(at(parsed, 'pg_hba.conf', 14).databases, [{ text: 'db"x', quoted: true }]);
  });

  it('reads comma lists, with blanks after a comma continuing the list', () => {
    const r = at(parsed, 'pg_hba.conf', 7);
    assert.deepEqual(
      r.databases.map((t) => t.text),
      ['db1', 'db2', 'db3'],
    );
    assert.deepEqual(
      r.users.map((t) => t.text),
      ['alice', '+staff'],
    );
  });

  it('expands @file name lists relative to the including file, nested, keeping quotes', () => {
    assert.deepEqual(at(parsed, 'pg_hba.conf', 8).users, [
      { text: 'bob', quoted: false },
      { text: 'carol', quoted: false },
      { text: 'dave', quoted: false },
      { text: 'root', quoted: false },
      { text: 'all', quoted: true },
    ]);
    assert.ok(
      parsed.files.includes(path.join(fixtures, 'users.list')) &&
        parsed.files.includes(path.join(fixtures, 'admins.list')),
    );
    assert.deepEqual(only(parseText('host "@x" all all trust')).databases, [{ text: '@x', quoted: true }]);
  });

  it('reads addresses: CIDR, address plus mask, IPv6, host names, suffixes and the keywords', () => {
    assert.deepEqual(at(parsed, 'pg_hba.conf', 6).address, {
      kind: 'ip',
      text: '10.0.0.0/8',
      family: 4,
      bytes: [10, 0, 0, 0],
      mask: [255, 0, 0, 0],
    });
    assert.deepEqual(at(parsed, 'pg_hba.conf', 7).address, {
      kind: 'ip',
      text: '192.168.1.0 255.255.255.0',
      family: 4,
      bytes: [192, 168, 1, 0],
      mask: [255, 255, 255, 0],
    });
    const v6 = at(parsed, 'pg_hba.conf', 8).address;
    assert.ok(v6?.kind === 'ip' && v6.family === 6 && v6.bytes[15] === 1 && v6.mask.every((b) => b === 255));
    assert.deepEqual(at(parsed, 'pg_hba.conf', 9).address, { kind: 'samenet' });
    assert.deepEqual(at(parsed, 'pg_hba.conf', 10).address, { kind: 'samehost' });
    assert.deepEqual(at(parsed, 'pg_hba.conf', 11).address, { kind: 'hostname', name: '.example.com' });
    assert.deepEqual(at(parsed, 'pg_hba.conf', 12).address, { kind: 'hostname', name: 'db.example.com' });
    assert.deepEqual(at(parsed, 'pg_hba.conf', 14).address, { kind: 'all' });
    assert.deepEqual(only(parseText('host all all "all" trust')).address, { kind: 'hostname', name: 'all' });
    assert.deepEqual(only(parseText('host all all 10.1/16 trust')).address, {
      kind: 'ip',
      text: '10.1/16',
      family: 4,
      bytes: [10, 0, 0, 1],
      mask: [255, 255, 0, 0],
    });
    const mapped = only(parseText('host all all ::ffff:10.0.0.1/128 trust')).address;
    assert.ok(mapped?.kind === 'ip' && mapped.bytes.slice(10).join('.') === '255.255.10.0.0.1');
  });

  it('reads every method with its options, the oauth ones included', () => {
    assert.deepEqual(
      parsed.rules.slice(0, 14).map((r) => r.method),
      [
        'peer',
        'scram-sha-256',
        'md5',
        'peer',
        'password',
        'scram-sha-256',
        'cert',
        'scram-sha-256',
        'gss',
        'ldap',
        'radius',
        'pam',
        'reject',
        'oauth',
      ],
    );
    assert.equal(at(parsed, 'pg_hba.conf', 5).writtenMethod, 'ident');
    assert.deepEqual(at(parsed, 'pg_hba.conf', 15).options, {
      issuer: 'https://issuer.example.com',
      scope: 'openid postgres',
      validator: 'v1',
      map: 'oauthmap',
    });
    assert.deepEqual(at(parsed, 'pg_hba.conf', 8).options, { clientname: 'DN', map: 'certs' });
    assert.equal(at(parsed, 'pg_hba.conf', 21).method, 'trust');
    for (const m of ['trust', 'reject', 'scram-sha-256', 'md5', 'password', 'ident'])
      assert.equal(only(parseText(`host all all all ${m}`)).method, m);
    assert.equal(only(parseText('local all all peer')).method, 'peer');
    assert.equal(
      only(parseText('host all all all oauth issuer=https://i scope=openid delegate_ident_mapping=1')).options
        .delegate_ident_mapping,
      '1',
    );
    assert.equal(only(parseText('hostssl all all all cert clientcert=verify-full')).method, 'cert');
  });

  it('reads regular expressions from PostgreSQL 16 and literal names before', () => {
    assert.deepEqual(at(parsed, 'pg_hba.conf', 9).databases, [{ text: '/^app_\\d+$', quoted: false }]);
    assert.deepEqual(only(parseText('host /[ all all trust', 15)).databases, [{ text: '/[', quoted: false }]);
    assert.match(errorOf('host /[ all all trust', 16).message, /^invalid regular expression "\[": /);
  });

  it('follows include, include_if_exists and include_dir (sorted, only *.conf, no dot files) from PostgreSQL 16', () => {
    assert.deepEqual(parsed.problems, [
      {
        file: fixture,
        line: 19,
        severity: 'warning',
        message: `skipping missing authentication file "${path.join(fixtures, 'missing.conf')}"`,
      },
    ]);
    assert.deepEqual(
      parsed.rules
        .map((r) => r.databases[0].text)
        .filter((d) => d.startsWith('dir_') || d === 'extra_db' || d === 'hidden' || d === 'notes'),
      ['extra_db', 'dir_a', 'dir_b'],
    );
    const old = parseHbaFile(fixture, { traits: { major: 15 } });
    assert.deepEqual(
      old.problems
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.line}: ${p.message}`)
        .slice(-3),
      [
        '18: invalid connection type "include"',
        '19: invalid connection type "include_if_exists"',
        '20: invalid connection type "include_dir"',
      ],
    );
  });

  it('joins backslash continuations from PostgreSQL 14, inside quotes too, and not in 13', () => {
    const text = '# c\nhost all "al\\\nice" 10.0.0.0/8 \\\n  scram-sha-256\nhost all bob all md5\n';
    const p = parseText(text, 14);
    assert.deepEqual(
      p.rules.map((r) => [r.source.line, r.users[0].text]),
      [
        [2, 'alice'],
        [5, 'bob'],
      ],
    );
    const p13 = parseText('host all all 10.0.0.0/8 \\\n  md5\n', 13);
    assert.deepEqual(
      p13.problems.map((x) => [x.line, x.message]),
      [
        [1, 'invalid authentication method "\\"'],
        [2, 'invalid connection type "md5"'],
      ],
    );
  });

  it('treats # as a comment outside quotes only, and "" as a quote inside them', () => {
    const r = only(parseText('host "a#b",c all all trust#comment'));
    assert.deepEqual(
      r.databases.map((t) => t.text),
      ['a#b', 'c'],
    );
    assert.equal(r.method, 'trust');
    assert.equal(errorOf('host c#d all all trust').message, 'end-of-line before role specification');
  });

  it('checks oauth validators against oauth_validator_libraries when known', () => {
    const line = 'host all all all oauth issuer=https://i scope=openid';
    assert.deepEqual(parseText(line, 18, {}, { oauthValidatorLibraries: ['only'] }).problems, []);
    assert.deepEqual(parseText(line).problems, [], 'libraries unknown: accepted, as the lint reminds');
    assert.match(
      parseText(line, 18, {}, { oauthValidatorLibraries: ['a', 'b'] }).problems[0].message,
      /requires argument "validator" to be set when oauth_validator_libraries contains multiple options/,
    );
    assert.match(
      parseText(`${line} validator=c`, 18, {}, { oauthValidatorLibraries: ['a', 'b'] }).problems[0].message,
      /validator "c" is not permitted/,
    );
    assert.match(errorOf(`${line} map=m delegate_ident_mapping=1`).message, /cannot be combined/);
  });

  it('warns, without refusing the file, about hostssl when ssl is off and hostgssenc without GSSAPI', () => {
    const p = parseHbaFile('/virtual/x.conf', {
      text: 'hostssl all all all md5\nhostgssenc all all all md5\n',
      traits: { major: 18, ssl: false, build: { gss: false } },
    });
    assert.equal(p.rules.length, 2);
    assert.deepEqual(
      p.problems.map((x) => [x.line, x.severity, x.message]),
      [
        [1, 'warning', 'hostssl record cannot match because SSL is disabled'],
        [2, 'warning', 'hostgssenc record cannot match because GSSAPI is not supported by this build'],
      ],
    );
  });
});

describe('pg_hba.conf parser errors name the file, the line and what is wrong', () => {
  const cases: Array<[string, string, number?]> = [
    ['hots all all all trust', 'invalid connection type "hots"'],
    ['local,host all all trust', 'multiple values specified for connection type'],
    ['local', 'end-of-line before database specification'],
    ['local all', 'end-of-line before role specification'],
    ['host all all', 'end-of-line before IP address specification'],
    ['host all all 10.0.0.0/8,10.1.0.0/16 trust', 'multiple values specified for host address'],
    ['host all all 10.0.0.0/33 trust', 'invalid CIDR mask in address "10.0.0.0/33"'],
    ['host all all example.com/24 trust', 'specifying both host name and CIDR mask is invalid: "example.com/24"'],
    ['host all all 10.0.0.0', 'end-of-line before netmask specification'],
    ['host all all 10.0.0.0 ffff:: trust', 'IP address and mask do not match'],
    ['host all all 10.0.0.0 not-a-mask trust', 'invalid IP mask "not-a-mask": Name or service not known'],
    ['host all all all', 'end-of-line before authentication method'],
    ['host all all all trust,md5', 'multiple values specified for authentication type'],
    ['host all all all scram', 'invalid authentication method "scram"'],
    ['host all all all oauth issuer=x scope=y', 'invalid authentication method "oauth"', 17],
    ['host all all all sspi', 'invalid authentication method "sspi": not supported by this build'],
    ['host all all all bsd', 'invalid authentication method "bsd": not supported by this build'],
    ['host all all all peer', 'peer authentication is only supported on local sockets'],
    ['local all all gss', 'gssapi authentication is not supported on local sockets'],
    ['host all all all cert', 'cert authentication is only supported on hostssl connections'],
    ['host all all all md5 map', 'authentication option not in name=value format: map'],
    ['host all all all md5 frobnicate=1', 'unrecognized authentication option name: "frobnicate"'],
    [
      'host all all all md5 map=x',
      'authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, cert, and oauth',
    ],
    ['host all all all md5 clientcert=verify-full', 'clientcert can only be configured for "hostssl" rows'],
    ['hostssl all all all md5 clientcert=1', 'invalid value for clientcert: "1"'],
    ['hostssl all all all md5 clientname=CN', 'unrecognized authentication option name: "clientname"', 13],
    [
      'hostssl all all all cert clientcert=verify-ca',
      'clientcert only accepts "verify-full" when using "cert" authentication',
    ],
    [
      'host all all all ldap ldapserver=x',
      'authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set',
    ],
    ['host all all all ldap ldapprefix=a ldapbasedn=b', 'cannot mix options for simple bind and search+bind modes'],
    [
      'host all all all radius radiusservers="a,b" radiussecrets="x,y,z"',
      'the number of RADIUS secrets (3) must be 1 or the same as the number of RADIUS servers (2)',
    ],
    ['host all all all oauth issuer=https://i', 'authentication method "oauth" requires argument "scope" to be set'],
    ['host all all all oauth scope=openid', 'authentication method "oauth" requires argument "issuer" to be set'],
  ];
  for (const [text, message, major] of cases) {
    it(`${message}${major ? ` (PostgreSQL ${major})` : ''}`, () => {
      const e = errorOf(`# first line\n${text}\n`, major ?? 18);
      assert.deepEqual(e, { file: '/virtual/pg_hba.conf', line: 2, message });
    });
  }

  it('reports unreadable files: a missing include, a missing @file, a missing include_dir, a self-include loop', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-hba-unit-'));
    try {
      const main = path.join(dir, 'pg_hba.conf');
      fs.writeFileSync(
        main,
        'host all @nobody.txt all md5\ninclude nowhere.conf\ninclude_dir no.d\ninclude loop.conf\n',
      );
      fs.writeFileSync(path.join(dir, 'loop.conf'), 'include loop.conf\n');
      const p = parseHbaFile(main, { traits: { major: 18 } });
      const errors = p.problems
        .filter((x) => x.severity === 'error' && x.file === main)
        .map((x) => [x.line, x.message.replace(dir, 'DIR')]);
      assert.deepEqual(errors, [
        [1, 'could not open file "DIR/nobody.txt": No such file or directory'],
        [2, 'could not open file "DIR/nowhere.conf": No such file or directory'],
        [3, 'could not open directory "DIR/no.d": No such file or directory'],
      ]);
      assert.ok(
        p.problems.some((x) => /maximum nesting depth exceeded/.test(x.message)),
        'a file including itself stops at the depth limit',
      );
      assert.match(
        parseHbaFile(path.join(dir, 'absent.conf')).problems[0].message,
        /could not open file ".*absent\.conf": No such file or directory/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file without any record', () => {
    assert.equal(errorOf('# nothing\n\n').message, 'configuration file "/virtual/pg_hba.conf" contains no entries');
  });
});

describe('pg_ident.conf parser', () => {
  it('reads maps with regexes, \\1, quoted names, +group and all', () => {
    const p = parseIdentFile(path.join(fixtures, 'pg_ident.conf'));
    assert.deepEqual(p.problems, []);
    assert.deepEqual(
      p.rules.map((r) => [r.source.line, r.map, r.systemUser.text, r.pgUser.text]),
      [
        [2, 'admins', 'root', 'postgres'],
        [3, 'certs', '/^(.*)@example\\.com$', '\\1'],
        [4, 'oauthmap', '/^(.*)@corp$', '\\1_ro'],
        [5, 'oauthmap', 'alice@corp', '+staff'],
        [6, 'oauthmap', 'ops-bot', 'all'],
      ],
    );
  });

  it('names file and line for a missing entry, several values and a bad regex', () => {
    const p = parseIdentFile('/virtual/pg_ident.conf', { text: 'm1 root\nm2 a,b c\nm3 /( x\n' });
    assert.deepEqual(
      p.problems.map((x) => [x.file, x.line, x.message.replace(/:.*/, '')]),
      [
        ['/virtual/pg_ident.conf', 1, 'missing entry at end of line'],
        ['/virtual/pg_ident.conf', 2, 'multiple values in ident field'],
        ['/virtual/pg_ident.conf', 3, 'invalid regular expression "("'],
      ],
    );
  });
});

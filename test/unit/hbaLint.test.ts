import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { captureIo } from './cli.test';
import { main } from '../../src/cli/main';
import type { LintFinding } from '../../src/core/auth/hba';
import { lintHba, parseHbaFile } from '../../src/core/auth/hba';

const fixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'hba');
const fixture = path.join(fixtures, 'pg_hba.conf');

function lint(text: string, libs?: string[]): Array<[number, string, string]> {
  const parsed = parseHbaFile('/virtual/pg_hba.conf', { text, traits: { major: 18 } });
  return lintHba(parsed, { oauthValidatorLibraries: libs }).map((f: LintFinding) => [f.line, f.severity, f.code]);
}

describe('pg_hba lint', () => {
  it('finds rules shadowed by an earlier, wider rule', () => {
    assert.deepEqual(lint('host all all 10.0.0.0/8 scram-sha-256\nhost app alice 10.1.0.0/16 md5\n'), [
      [2, 'warning', 'shadowed'],
      [2, 'warning', 'md5-deprecated'],
    ]);
    assert.deepEqual(
      lint('host all all 10.0.0.0/8 scram-sha-256\nhostssl app,db2 alice,+staff 10.1.2.3/32 scram-sha-256\n'),
      [[2, 'warning', 'shadowed']],
    );
  });

  it('does not call a rule shadowed when an earlier one misses some of its connections', () => {
    const notShadowed = [
      'host all all 10.0.0.0/16 scram-sha-256\nhost all all 10.0.0.0/8 scram-sha-256\n',
      'hostssl all all all scram-sha-256\nhost all all all scram-sha-256\n',
      'host all all all scram-sha-256\nhost replication all all scram-sha-256\n',
      'host all alice all scram-sha-256\nhost all +staff all scram-sha-256\n',
      'host "all" all all scram-sha-256\nhost app all all scram-sha-256\n',
      'host all all ::/0 scram-sha-256\nhost all all 10.0.0.0/8 scram-sha-256\n',
      'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n',
    ];
    for (const text of notShadowed)
      assert.deepEqual(
        lint(text).filter(([, , c]) => c === 'shadowed'),
        [],
        text,
      );
  });

  it('flags trust over TCP (an error from anywhere), and local trust for everyone as information', () => {
    assert.deepEqual(lint('host all all 0.0.0.0/0 trust\n'), [[1, 'error', 'trust-over-tcp']]);
    assert.deepEqual(lint('host app alice 10.0.0.1/32 trust\n'), [[1, 'warning', 'trust-over-tcp']]);
    assert.deepEqual(lint('local all all trust\n'), [[1, 'info', 'trust-local']]);
  });

  it('flags password and md5, wide addresses, ident over TCP', () => {
    assert.deepEqual(lint('host all all 10.0.0.0/8 password\n'), [[1, 'warning', 'cleartext-password']]);
    assert.deepEqual(lint('host all all ::/0 scram-sha-256\n'), [[1, 'info', 'wide-address']]);
    assert.deepEqual(lint('hostssl all all all scram-sha-256\n'), [[1, 'info', 'wide-address']]);
    assert.deepEqual(lint('host all all 10.0.0.0/8 ident\n'), [[1, 'info', 'ident-over-tcp']]);
  });

  it('flags oauth lines without validator= according to oauth_validator_libraries', () => {
    const line = 'host all all 10.0.0.0/8 oauth issuer=https://i scope=openid\n';
    assert.deepEqual(lint(line), [[1, 'warning', 'oauth-validator']]);
    assert.deepEqual(lint(line, ['one']), []);
    assert.deepEqual(lint(line, ['one', 'two']), [[1, 'error', 'oauth-validator']]);
    assert.deepEqual(lint(line.replace('\n', ' validator=one\n'), ['one', 'two']), []);
  });

  it('never quotes a secret option value from a line it names', () => {
    const parsed = parseHbaFile('/virtual/pg_hba.conf', {
      text: 'host all all all radius radiusservers=r radiussecrets="top secret"\nhost all bob 10.0.0.0/8 md5\n',
    });
    const shadowed = lintHba(parsed).find((f) => f.code === 'shadowed');
    assert.match(shadowed?.message ?? '', /radiussecrets=\*{8}/);
    assert.ok(!JSON.stringify(lintHba(parsed)).includes('secret"'));
  });

  it('turns parse problems into findings with file and line', () => {
    assert.deepEqual(lint('host all all all md5\nbogus\n'), [
      [1, 'warning', 'md5-deprecated'],
      [1, 'info', 'wide-address'],
      [2, 'error', 'parse-error'],
    ]);
  });
});

describe('pgops hba (command line)', () => {
  const run = async (...argv: string[]) => {
    const io = captureIo();
    const code = await main(['hba', ...argv], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  it('check prints the matching line (physical number) and its method, exit 0', async () => {
    const r = await run(
      'check',
      '--file',
      fixture,
      '--type',
      'host',
      '--address',
      '127.0.0.1',
      '--database',
      'app',
      '--user',
      'zed',
      '--ssl',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /^line 15: oauth {2}\(issuer=https:\/\/issuer\.example\.com scope=openid postgres validator=v1 map=oauthmap\)/,
    );
  });

  it('check --json gives line, method and options; secrets are masked', async () => {
    const r = await run(
      'check',
      '--file',
      fixture,
      '--type',
      'host',
      '--address',
      '10.1.0.9',
      '--database',
      'all',
      '--user',
      '+staff',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { line: number; method: string; options: Record<string, string>; ruleFile: string };
    assert.deepEqual([j.line, j.method, j.options], [6, 'password', {}]);
    const radius = JSON.parse(
      (
        await run(
          'check',
          '--file',
          fixture,
          '--type',
          'host',
          '--address',
          '192.0.2.1',
          '--database',
          'x',
          '--user',
          'y',
          '--json',
        )
      ).out,
    ) as { line: number | null; method: string | null };
    assert.deepEqual(
      [radius.line, radius.method],
      [21, 'trust'],
      'no DNS name for 192.0.2.1, so the host-name lines do not match',
    );
  });

  it('check follows includes and reports the included file', async () => {
    const r = await run(
      'check',
      '--file',
      fixture,
      '--type',
      'host',
      '--address',
      '10.2.3.4',
      '--database',
      'dir_b',
      '--user',
      'u',
      '--json',
    );
    const j = JSON.parse(r.out) as { line: number; ruleFile: string; method: string };
    assert.deepEqual([j.line, path.basename(j.ruleFile), j.method], [2, '20-b.conf', 'md5']);
  });

  it('check shows the pg_ident line for a map= rule', async () => {
    const r = await run(
      'check',
      '--file',
      fixture,
      '--ident-file',
      path.join(fixtures, 'pg_ident.conf'),
      '--type',
      'local',
      '--database',
      'x',
      '--user',
      'postgres',
      '--system-user',
      'root',
      '--json',
    );
    const j = JSON.parse(r.out) as { line: number; method: string; ident: { map: string; line: number } };
    assert.deepEqual([j.line, j.method, j.ident.map, j.ident.line], [2, 'peer', 'admins', 2]);
  });

  it('check exits 1 with line null when no line matches, physical replication included', async () => {
    const text = await run(
      'check',
      '--file',
      path.join(fixtures, 'conf.d', '10-a.conf'),
      '--type',
      'host',
      '--address',
      '10.9.9.9',
      '--database',
      'dir_a',
      '--user',
      'u',
    );
    assert.equal(text.code, 1);
    assert.match(text.err, /No pg_hba\.conf line matches user "u" to database "dir_a" from 10\.9\.9\.9/);
    const json = await run(
      'check',
      '--file',
      path.join(fixtures, 'conf.d', '10-a.conf'),
      '--type',
      'host',
      '--address',
      '10.3.0.1',
      '--database',
      'dir_a',
      '--user',
      'u',
      '--replication',
      '--json',
    );
    assert.equal(json.code, 1);
    assert.deepEqual(
      ((o: { line: unknown; method: unknown }) => [o.line, o.method])(
        JSON.parse(json.out) as { line: unknown; method: unknown },
      ),
      [null, null],
    );
  });

  it('check refuses a file the server would refuse, naming file and line (exit 1)', async () => {
    const r = await run(
      'check',
      '--file',
      fixture,
      '--pg-version',
      '15',
      '--type',
      'local',
      '--database',
      'x',
      '--user',
      'y',
    );
    assert.equal(r.code, 1);
    assert.match(r.err, /pg_hba\.conf:15: invalid authentication method "oauth" \(and 3 more errors\)/);
  });

  it('check and lint refuse bad usage with exit 2', async () => {
    assert.equal((await run('check', '--file', fixture, '--type', 'tcp', '--database', 'x', '--user', 'y')).code, 2);
    assert.equal((await run('check', '--file', fixture, '--type', 'host', '--database', 'x', '--user', 'y')).code, 2);
    assert.equal((await run('frob')).code, 2);
    assert.equal((await run('lint')).code, 2);
  });

  it('lint lists findings with file:line and exits 1 on errors; --json gives them as data', async () => {
    const r = await run('lint', '--file', fixture);
    assert.equal(r.code, 1, 'trust from 0.0.0.0/0 is an error');
    assert.match(r.out, /pg_hba\.conf:21: error \[trust-over-tcp\]/);
    assert.match(r.out, /pg_hba\.conf:4: warning \[md5-deprecated\]/);
    const j = JSON.parse((await run('lint', '--file', fixture, '--json')).out) as { findings: LintFinding[] };
    assert.ok(j.findings.some((f) => f.code === 'cleartext-password' && f.line === 6));
    assert.ok(!JSON.stringify(j).includes('s3cr3t'), 'the radius secret never appears');
  });
});

import * as assert from 'node:assert/strict';
import type { AuthClientFacts, HbaAttempt } from '../../src/core/auth/hba';
import { parseHbaFile, parseIdentFile, planAuth } from '../../src/core/auth/hba';

const hba = [
  'local   all   postgres                 peer',
  'local   app   all                      peer map=ops',
  'local   all   all                      scram-sha-256',
  'hostssl all   +certusers 0.0.0.0/0     cert',
  'host    all   blocked    0.0.0.0/0     reject',
  'host    sso   all        10.0.0.0/8    oauth issuer="https://idp.example.com" scope="openid"',
  'host    all   all        127.0.0.1/32  scram-sha-256',
  'host    all   all        10.0.0.0/8    password',
  '',
].join('\n');
const rules = parseHbaFile('/etc/postgresql/pg_hba.conf', { text: hba }).rules;
const identRules = parseIdentFile('/etc/postgresql/pg_ident.conf', {
  text: 'ops  deploy  app_owner\nops  /^(.*)-admin$  \\1\n',
}).rules;

const client = (over: Partial<AuthClientFacts> = {}): AuthClientFacts => ({
  osUser: 'deploy',
  passwordSources: ['Secret Storage', '~/.pgpass'],
  identRules,
  ...over,
});
const sock = (user: string, database = 'postgres'): HbaAttempt => ({
  connection: 'local',
  user,
  database,
  memberOf: [],
});
const tcp = (user: string, over: Partial<HbaAttempt> = {}): HbaAttempt => ({
  connection: 'host',
  address: '127.0.0.1',
  user,
  database: 'app',
  memberOf: [],
  ...over,
});

describe('pg_hba auth plan: the line the server uses and how pgops answers its method', () => {
  it('password methods: names the line and where the password comes from, or that pgops asks once', () => {
    const p = planAuth(rules, tcp('alice'), client());
    assert.deepEqual([p.rule?.line, p.method, p.canSucceed], [7, 'scram-sha-256', true]);
    assert.match(p.summary, /line 7 of \/etc\/postgresql\/pg_hba\.conf/);
    assert.match(p.plan, /password from Secret Storage, or else ~\/\.pgpass \(SCRAM-SHA-256/);
    assert.match(planAuth(rules, tcp('alice'), client({ passwordSources: [] })).plan, /asks for the password once/);
    assert.match(
      planAuth(rules, tcp('alice', { address: '10.1.2.3' }), client()).plan,
      /clear text, unencrypted: prefer sslmode=require/,
    );
  });

  it("peer: the OS user must be the role, or map to it through the line's pg_ident map (the matching ident line named)", () => {
    const same = planAuth(rules, sock('postgres'), client({ osUser: 'postgres' }));
    assert.deepEqual([same.rule?.line, same.method, same.canSucceed], [1, 'peer', true]);
    assert.match(same.plan, /Unix socket as OS user "postgres", which is the role's name/);
    assert.equal(
      planAuth(rules, sock('postgres'), client()).canSucceed,
      false,
      'deploy is not postgres and line 1 has no map',
    );

    const mapped = planAuth(rules, sock('app_owner', 'app'), client());
    assert.deepEqual([mapped.rule?.line, mapped.canSucceed], [2, true]);
    assert.match(
      mapped.plan,
      /line 1 of \/etc\/postgresql\/pg_ident\.conf in map "ops" lets "deploy" log in as "app_owner"/,
    );
    const regex = planAuth(rules, sock('bob', 'app'), client({ osUser: 'bob-admin' }));
    assert.match(regex.plan, /line 2 of .* lets "bob-admin" log in as "bob"/);
    const unmapped = planAuth(rules, sock('carol', 'app'), client());
    assert.equal(unmapped.canSucceed, false);
    assert.match(unmapped.plan, /add "ops deploy carol" to pg_ident\.conf/);
    assert.match(planAuth(rules, sock('carol', 'app'), client({ identRules: undefined })).plan, /not readable here/);
  });

  it('cert wants a client certificate; reject and no matching line cannot succeed', () => {
    const cert = planAuth(
      rules,
      tcp('dave', { ssl: true, memberOf: ['certusers'] }),
      client({ clientCertificate: '/home/dave/.postgresql/postgresql.crt' }),
    );
    assert.deepEqual([cert.rule?.line, cert.method, cert.canSucceed], [4, 'cert', true]);
    assert.match(
      cert.plan,
      /presents the client certificate \/home\/dave\/\.postgresql\/postgresql\.crt; its CN .* must name role "dave"/,
    );
    assert.equal(planAuth(rules, tcp('dave', { ssl: true, memberOf: ['certusers'] }), client()).canSucceed, false);
    const rejected = planAuth(rules, tcp('blocked'), client());
    assert.deepEqual([rejected.rule?.line, rejected.method, rejected.canSucceed], [5, 'reject', false]);
    const none = planAuth(rules, tcp('alice', { address: '192.168.1.9' }), client());
    assert.deepEqual([none.rule, none.canSucceed], [null, false]);
    assert.match(none.summary, /No pg_hba\.conf line matches/);
  });

  it("oauth: the profile's issuer must be the line's", () => {
    const attempt = tcp('erin', { address: '10.0.0.7', database: 'sso' });
    assert.match(
      planAuth(rules, attempt, client()).plan,
      /add oauth_issuer=https:\/\/idp\.example\.com and oauth_client_id/,
    );
    const wrong = planAuth(rules, attempt, client({ oauthIssuer: 'https://other.example.com' }));
    assert.equal(wrong.canSucceed, false);
    assert.match(wrong.plan, /refuse to send a token to a different issuer/);
    const right = planAuth(rules, attempt, client({ oauthIssuer: 'https://idp.example.com' }));
    assert.deepEqual([right.rule?.line, right.method, right.canSucceed], [6, 'oauth', true]);
    assert.match(right.plan, /device flow/);
  });
});

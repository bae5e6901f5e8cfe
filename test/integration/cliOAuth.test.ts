import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ApprovalResult } from '../support/oauth/approve';
import { approveDeviceCode } from '../support/oauth/approve';
import { startHostileProvider } from '../support/oauth/hostileProvider';
import { clients, selfSignedCert } from '../support/oauth/idp';
import { startRecordingServer } from '../support/oauth/recordingServer';
import type { OAuthRig } from '../support/oauth/rig';
import { oauthScope, startOAuthRig } from '../support/oauth/rig';
import { tempDir } from '../support/servers';
import type { CliRun } from './cliProcess';
import { cliEnv, runCliProcess } from './cliProcess';

/** libpq's prompt, as the CLI prints it on stderr. */
const promptLine = /Visit (\S+) and enter the code: (\S+)/;
/** What an access or refresh token looks like (opaque base64url, 40+ characters); nothing printed may. */
const tokenLike = /[A-Za-z0-9_-]{40,}/;

describe('CLI: pgops conn test with OAuth (device flow, as psql) [PostgreSQL 18]', function () {
  this.timeout(90_000);
  let rig: OAuthRig;
  let home: string;
  let caFile: string;

  before(async function () {
    this.timeout(120_000);
    rig = await startOAuthRig();
    home = tempDir('clioauth');
    caFile = path.join(home, 'idp-ca.pem');
    fs.writeFileSync(caFile, rig.idp.caPem);
  });

  after(async function () {
    this.timeout(60_000);
    await rig?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  function conninfo(extra = '', clientId: string = clients.normal): string {
    return (
      `host=127.0.0.1 port=${rig.server.port} dbname=postgres user=alice ` +
      `oauth_issuer=${rig.idp.issuer} oauth_client_id=${clientId} ` +
      `oauth_scope='${oauthScope}'${extra}`
    );
  }

  /** The person: reads the code on the terminal and acts on it in the provider's pages (once). */
  function person(decision: 'approve' | 'deny' | 'interrupt') {
    let seen = false;
    const result: { approval?: Promise<ApprovalResult>; prompt?: string } = {};
    const onStderr = (err: string, child: ChildProcess): void => {
      const m = promptLine.exec(err);
      if (!m || seen) return;
      seen = true;
      result.prompt = m[0];
      if (decision === 'interrupt') {
        child.kill('SIGINT');
        return;
      }
      result.approval = approveDeviceCode({
        verificationUri: m[1],
        userCode: m[2],
        account: 'alice',
        ca: rig.idp.caPem,
        deny: decision === 'deny',
      });
    };
    return { onStderr, result };
  }

  /** No token the provider issued (it records them all), nothing token-shaped, no given secret. */
  function assertNoSecrets(r: CliRun, secrets: string[] = []): void {
    const all = `${r.out}\n${r.err}`;
    assert.doesNotMatch(all, /Bearer/i);
    assert.doesNotMatch(all, tokenLike, 'nothing that looks like a token is printed');
    for (const t of rig.idp.issuedTokens) assert.ok(!all.includes(t), 'no issued token is printed');
    for (const s of secrets) assert.ok(!all.includes(s), 'the client secret is not printed');
  }

  it('shows the code on stderr, waits for the approval and connects as alice with auth oauth', async () => {
    const p = person('approve');
    const r = await runCliProcess(['conn', 'test', '--conn', conninfo()], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
      onStderr: p.onStderr,
    });
    assert.equal(r.code, 0, r.err);
    assert.match(p.result.prompt ?? '', new RegExp(`^Visit ${rig.idp.issuer}/device and enter the code: \\S+$`));
    assert.equal((await p.result.approval)?.finalTitle, 'Sign-in Success');
    assert.match(r.out, /Server: PostgreSQL 18\./);
    assert.match(r.out, /Session user: alice/);
    assert.match(r.out, /Authentication: oauth/);
    assert.match(r.out, /Encryption: TLS.*not verified/, 'sslmode=prefer: the token went over TLS');
    assert.ok(!r.out.includes('Visit'), 'the prompt goes to stderr, not stdout');
    assert.match(rig.serverLog(), /connection authenticated: identity="alice" method=oauth/);
    assert.ok(rig.idp.issuedTokens.length > 0, 'the provider issued a token');
    assertNoSecrets(r);
  });

  it('signs in with a confidential client whose oauth_client_secret is in the conninfo, never printing it', async () => {
    const p = person('approve');
    const issuedBefore = rig.idp.issuedTokens.length;
    const r = await runCliProcess(
      ['conn', 'test', '--conn', conninfo(` oauth_client_secret=${rig.idp.confidentialSecret}`, clients.confidential)],
      { env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }), onStderr: p.onStderr },
    );
    assert.equal(r.code, 0, r.err);
    assert.equal((await p.result.approval)?.finalTitle, 'Sign-in Success');
    assert.match(r.out, /Session user: alice/);
    assert.match(r.out, /Authentication: oauth/);
    assert.ok(rig.idp.issuedTokens.length > issuedBefore, 'a new token was issued to the confidential client');
    assertNoSecrets(r, [rig.idp.confidentialSecret]);
  });

  it('refuses sslmode=disable before anyone is asked to sign in, naming the host; PGOAUTHDEBUG=UNSAFE allows it (stricter than libpq)', async () => {
    const refused = await runCliProcess(['conn', 'test', '--conn', conninfo(' sslmode=disable')], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
    });
    assert.equal(refused.code, 1, refused.err);
    assert.match(
      refused.err,
      new RegExp(`alice@127\\.0\\.0\\.1:${rig.server.port}.* without TLS.*no token was requested or sent`),
    );
    assert.match(refused.err, /sslmode=require or sslmode=verify-full.*hostssl/);
    assert.doesNotMatch(refused.err, promptLine);
    const p = person('approve');
    const unsafe = await runCliProcess(['conn', 'test', '--conn', conninfo(' sslmode=disable')], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile, PGOAUTHDEBUG: 'UNSAFE' }),
      onStderr: p.onStderr,
    });
    assert.equal(unsafe.code, 0, unsafe.err);
    assert.match(unsafe.out, /Authentication: oauth/);
    assert.match(unsafe.out, /Encryption: none \(plain TCP\)/);
    assertNoSecrets(unsafe);
  });

  it('with sslmode=allow (plain first), sends the token only on the TLS attempt', async () => {
    const p = person('approve');
    const r = await runCliProcess(['conn', 'test', '--conn', conninfo(' sslmode=allow')], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
      onStderr: p.onStderr,
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Authentication: oauth/);
    assert.match(r.out, /Encryption: TLS/);
  });

  it('verifies the server with sslmode=verify-full and sslrootcert, as the README recommends for OAuth', async () => {
    const p = person('approve');
    const r = await runCliProcess(
      ['conn', 'test', '--conn', conninfo(` sslmode=verify-full sslrootcert=${rig.serverCaFile}`)],
      { env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }), onStderr: p.onStderr },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Encryption: TLS.*verified with host name \(verify-full\)/);
  });

  it('prints what a hostile provider sends inertly: no escape sequence reaches the terminal', async () => {
    const idp = await startHostileProvider();
    const server = await startRecordingServer({
      discoveryUri: `${idp.issuer}/.well-known/openid-configuration`,
      tls: await selfSignedCert(home, '127.0.0.1', 'listener'),
    });
    try {
      const both = path.join(home, 'both-ca.pem');
      fs.writeFileSync(both, `${rig.idp.caPem}\n${idp.certPem}`);
      const conn = `host=127.0.0.1 port=${server.port} sslmode=require dbname=postgres user=alice oauth_issuer=${idp.issuer} oauth_client_id=${clients.normal}`;
      const r = await runCliProcess(['conn', 'test', '--conn', conn], {
        env: cliEnv(home, { NODE_EXTRA_CA_CERTS: both }),
      });
      assert.equal(r.code, 1, r.err);
      assert.equal(idp.deviceRequests(), 1, "the flow reached the provider's device endpoint");
      assert.doesNotMatch(
        r.err,
        /[\x00-\x08\x0b-\x1f\x7f-\x9f]/,
        `no control character on stderr: ${JSON.stringify(r.err)}`,
      );
      assert.match(
        r.err,
        /enter the code: WDJB\\x1b\[2J\\x1b\]0;owned\\x07-MQHT/,
        'the code is shown with its escapes visible',
      );
      assert.match(r.err, /access_denied/);
      assert.match(r.err, /WARNING: The provider's page .* is not an https:\/\/ URL, so pgops does not open it/);
      assert.doesNotMatch(r.err, /\]\(command:/, 'no notification link syntax survives');
    } finally {
      await server.close();
      await idp.stop();
    }
  });

  it('exits 1 with a clear message when the person denies the request', async () => {
    const p = person('deny');
    const r = await runCliProcess(['conn', 'test', '--conn', conninfo()], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
      onStderr: p.onStderr,
    });
    assert.equal(r.code, 1);
    await p.result.approval;
    assert.match(r.err, new RegExp(`pgops conn: The sign-in at ${rig.idp.issuer} was denied: .*\\(access_denied\\)`));
    assertNoSecrets(r);
  });

  it('stops polling on Ctrl-C (SIGINT) and says so', async () => {
    const p = person('interrupt');
    const started = Date.now();
    const r = await runCliProcess(['conn', 'test', '--conn', conninfo()], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
      onStderr: p.onStderr,
    });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /OAuth sign-in at \S+ interrupted while waiting for the approval/);
    assert.ok(Date.now() - started < 15_000, 'it did not wait for the device code to expire');
  });

  it('refuses the issuer when its certificate is not trusted (no NODE_EXTRA_CA_CERTS), sending no token', async () => {
    const r = await runCliProcess(['conn', 'test', '--conn', conninfo()], { env: cliEnv(home) });
    assert.equal(r.code, 1);
    assert.match(r.err, /Cannot reach the .* at https:\/\/127\.0\.0\.1:\d+.*(SELF_SIGNED|self[- ]signed)/i);
    assert.doesNotMatch(r.err, promptLine);
  });

  it('a secret the provider does not know is refused (invalid_client) and never printed; resolve masks it', async () => {
    const secret = 'cli-test-client-secret-value';
    const resolved = await runCliProcess(
      ['conn', 'resolve', '--conn', conninfo(` oauth_client_secret=${secret}`), '--json'],
      { env: cliEnv(home) },
    );
    assert.equal(resolved.code, 0, resolved.err);
    assert.equal(
      (JSON.parse(resolved.out) as { params: Record<string, string> }).params.oauth_client_secret,
      '********',
    );
    // pg-client is a public client: a provider refuses a client that authenticates with a secret it has none of.
    const r = await runCliProcess(['conn', 'test', '--conn', conninfo(` oauth_client_secret=${secret}`)], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
    });
    assert.equal(r.code, 1);
    assert.match(r.err, /device authorization endpoint of \S+ refused the request: .*invalid_client/);
    assertNoSecrets(r, [secret]);
    assertNoSecrets(resolved, [secret]);
  });

  it('pgops bench signs in, then refuses to run pgbench, which cannot use the OAuth token', async () => {
    const p = person('approve');
    const out = path.join(home, 'bench-reports');
    const r = await runCliProcess(['bench', '--conn', conninfo(), '--clients', '1', '--time', '1', '--out', out], {
      env: cliEnv(home, { NODE_EXTRA_CA_CERTS: caFile }),
      onStderr: p.onStderr,
    });
    assert.equal((await p.result.approval)?.finalTitle, 'Sign-in Success');
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /pgbench cannot sign in to .*the server wants an OAuth token/);
    assert.match(r.err, /password or a client certificate/);
    assert.ok(!fs.existsSync(out), 'nothing ran, no report was written');
    assertNoSecrets(r);
  });
});

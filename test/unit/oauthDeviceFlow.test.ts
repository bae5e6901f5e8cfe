import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevicePrompt } from '../../src/core/auth/oauth/deviceFlow';
import { deviceCodeGrant, devicePromptText, refreshTokens, runDeviceFlow } from '../../src/core/auth/oauth/deviceFlow';
import type { ProviderMetadata } from '../../src/core/auth/oauth/discovery';
import { fetchProviderMetadata } from '../../src/core/auth/oauth/discovery';
import { CancelledError, PgOpsError } from '../../src/core/errors';

interface Recorded {
  path: string;
  authorization?: string;
  form: URLSearchParams;
}

type Reply = { status: number; body: unknown };

/**
 * A scripted authorization server on loopback http. The real provider used by the integration
 * tests (oidc-provider) never answers `slow_down` and always sends an interval, so the polling
 * rules are checked against this script. Plain http is allowed here the way PGOAUTHDEBUG=UNSAFE
 * allows it (allowHttp: true) — test only.
 */
async function scriptedServer(
  replies: Record<string, Reply[]>,
): Promise<{ url: string; requests: Recorded[]; close(): void }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push({ path, authorization: req.headers.authorization, form: new URLSearchParams(body) });
      const queue = replies[path] ?? [];
      const reply = queue.length > 1 ? queue.shift()! : (queue[0] ?? { status: 404, body: { error: 'not_found' } });
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close() };
}

const pending = { status: 400, body: { error: 'authorization_pending' } };
const token = {
  status: 200,
  body: { access_token: 'YWNjZXNz', token_type: 'Bearer', expires_in: 60, refresh_token: 'cmVmcmVzaA' },
};

function deviceAuth(extra: Record<string, unknown> = {}): Reply {
  return {
    status: 200,
    body: {
      device_code: 'dc',
      user_code: 'ABCD-EFGH',
      verification_uri: 'https://idp.example/device',
      expires_in: 600,
      ...extra,
    },
  };
}

function meta(url: string): ProviderMetadata {
  return { issuer: 'https://idp.example', tokenEndpoint: `${url}/token`, deviceAuthorizationEndpoint: `${url}/device` };
}

describe('OAuth device authorization grant client (RFC 8628)', () => {
  it('polls at the interval, adds 5 s for every slow_down, and prompts once after the first pending answer', async () => {
    const s = await scriptedServer({
      '/device': [deviceAuth({ interval: 2, verification_uri_complete: 'https://idp.example/device?c=1' })],
      '/token': [pending, { status: 400, body: { error: 'slow_down' } }, pending, token],
    });
    const waits: number[] = [];
    const prompts: DevicePrompt[] = [];
    try {
      const tokens = await runDeviceFlow(meta(s.url), {
        clientId: 'pg-client',
        scope: 'openid postgres',
        allowHttp: true,
        onPrompt: (p) => {
          prompts.push(p);
        },
        wait: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      });
      assert.deepEqual(waits, [2000, 7000, 7000]);
      assert.equal(prompts.length, 1);
      assert.deepEqual(prompts[0], {
        verificationUri: 'https://idp.example/device',
        verificationUriComplete: 'https://idp.example/device?c=1',
        userCode: 'ABCD-EFGH',
        expiresInSeconds: 600,
      });
      assert.equal(tokens.accessToken, 'YWNjZXNz');
      assert.equal(tokens.refreshToken, 'cmVmcmVzaA');
      const polls = s.requests.filter((r) => r.path === '/token');
      assert.equal(polls.length, 4);
      assert.deepEqual(Object.fromEntries(polls[0].form), {
        device_code: 'dc',
        grant_type: deviceCodeGrant,
        client_id: 'pg-client',
      });
      assert.equal(s.requests[0].form.get('scope'), 'openid postgres');
    } finally {
      s.close();
    }
  });

  it('waits 5 s when the provider gives no interval, rounds fractional intervals up, and reads verification_url', async () => {
    for (const [interval, expected] of [
      [undefined, 5000],
      [1.2, 2000],
    ] as const) {
      const auth = deviceAuth({ interval });
      const body = auth.body as Record<string, unknown>;
      body.verification_url = body.verification_uri;
      delete body.verification_uri;
      const s = await scriptedServer({ '/device': [auth], '/token': [pending, token] });
      const waits: number[] = [];
      try {
        await runDeviceFlow(meta(s.url), {
          clientId: 'c',
          allowHttp: true,
          onPrompt: (p) => assert.equal(p.verificationUri, 'https://idp.example/device'),
          wait: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
        });
        assert.deepEqual(waits, [expected]);
      } finally {
        s.close();
      }
    }
  });

  it('stops on expired_token and access_denied with errors saying what happened', async () => {
    for (const [error, code] of [
      ['expired_token', 'oauth-expired'],
      ['access_denied', 'oauth-access-denied'],
      ['invalid_grant', 'oauth-token'],
    ] as const) {
      const s = await scriptedServer({
        '/device': [deviceAuth({ interval: 1 })],
        '/token': [pending, { status: 400, body: { error, error_description: 'provider says no' } }],
      });
      try {
        await assert.rejects(
          runDeviceFlow(meta(s.url), {
            clientId: 'c',
            allowHttp: true,
            onPrompt: () => undefined,
            wait: () => Promise.resolve(),
          }),
          (e: unknown) =>
            PgOpsError.is(e, code) &&
            e.message.includes(`provider says no (${error})`) &&
            e.message.includes('https://idp.example') &&
            !!e.hint,
        );
      } finally {
        s.close();
      }
    }
  });

  it('gives up by its own clock when the provider keeps saying pending past expires_in', async () => {
    const s = await scriptedServer({ '/device': [deviceAuth({ interval: 1, expires_in: 3 })], '/token': [pending] });
    let clock = 0;
    try {
      await assert.rejects(
        runDeviceFlow(meta(s.url), {
          clientId: 'c',
          allowHttp: true,
          onPrompt: () => undefined,
          now: () => clock,
          wait: (ms) => {
            clock += ms;
            return Promise.resolve();
          },
        }),
        (e: unknown) => PgOpsError.is(e, 'oauth-expired'),
      );
      assert.ok(s.requests.filter((r) => r.path === '/token').length <= 6);
    } finally {
      s.close();
    }
  });

  it('can be cancelled while waiting for approval', async () => {
    const s = await scriptedServer({ '/device': [deviceAuth({ interval: 30 })], '/token': [pending] });
    const ctl = new AbortController();
    try {
      const started = Date.now();
      await assert.rejects(
        runDeviceFlow(meta(s.url), {
          clientId: 'c',
          allowHttp: true,
          signal: ctl.signal,
          onPrompt: () => {
            setTimeout(() => ctl.abort(), 50);
          },
        }),
        (e: unknown) => CancelledError.is(e),
      );
      assert.ok(Date.now() - started < 5000);
    } finally {
      s.close();
    }
  });

  it('authenticates with HTTP Basic when a client secret is set, and then leaves client_id out of the body', async () => {
    const s = await scriptedServer({ '/device': [deviceAuth({ interval: 1 })], '/token': [token] });
    try {
      await runDeviceFlow(meta(s.url), {
        clientId: 'pg client',
        clientSecret: 's3cr:t',
        allowHttp: true,
        onPrompt: () => undefined,
        wait: () => Promise.resolve(),
      });
      for (const r of s.requests) {
        assert.equal(r.authorization, `Basic ${Buffer.from('pg%20client:s3cr%3At').toString('base64')}`);
        assert.equal(r.form.get('client_id'), null);
      }
    } finally {
      s.close();
    }
  });

  it('refreshes with the refresh token and keeps it when the provider does not rotate it', async () => {
    const s = await scriptedServer({
      '/token': [
        { status: 200, body: { access_token: 'bmV3', token_type: 'bearer', expires_in: 10 } },
        { status: 400, body: { error: 'invalid_grant' } },
      ],
    });
    try {
      const renewed = await refreshTokens(
        { accessToken: 'b2xk', refreshToken: 'cmVm', tokenEndpoint: `${s.url}/token` },
        'https://idp.example',
        { clientId: 'c', allowHttp: true, now: () => 1000 },
      );
      assert.deepEqual(renewed, {
        accessToken: 'bmV3',
        refreshToken: 'cmVm',
        expiresAt: 11_000,
        tokenEndpoint: `${s.url}/token`,
      });
      assert.deepEqual(Object.fromEntries(s.requests[0].form), {
        grant_type: 'refresh_token',
        refresh_token: 'cmVm',
        client_id: 'c',
      });
      await assert.rejects(
        refreshTokens(renewed, 'https://idp.example', { clientId: 'c', allowHttp: true }),
        (e: unknown) => PgOpsError.is(e, 'oauth-refresh') && !e.message.includes('cmVm'),
      );
    } finally {
      s.close();
    }
  });

  it('refuses plain-http endpoints without the unsafe debug setting, before sending anything', async () => {
    const s = await scriptedServer({
      '/.well-known/openid-configuration': [{ status: 200, body: { issuer: 'x', token_endpoint: 'y' } }],
    });
    try {
      await assert.rejects(
        fetchProviderMetadata(`${s.url}/.well-known/openid-configuration`, s.url, {}),
        (e: unknown) => PgOpsError.is(e, 'oauth-https-required'),
      );
      await assert.rejects(runDeviceFlow(meta(s.url), { clientId: 'c', onPrompt: () => undefined }), (e: unknown) =>
        PgOpsError.is(e, 'oauth-https-required'),
      );
      assert.equal(s.requests.length, 0);
    } finally {
      s.close();
    }
  });

  it('checks the discovery document: issuer equal to the expected one, a device endpoint, https endpoints', async () => {
    const docs: Array<[Record<string, unknown>, string]> = [
      [
        { issuer: 'https://other.example', token_endpoint: 'https://t', device_authorization_endpoint: 'https://d' },
        'oauth-issuer-mismatch',
      ],
      [{ issuer: 'ISS', token_endpoint: 'https://t' }, 'oauth-discovery'],
      [{ issuer: 'ISS', token_endpoint: 'https://t', device_authorization_endpoint: 'https://d' }, 'ok'],
    ];
    for (const [doc, expected] of docs) {
      const s = await scriptedServer({
        '/.well-known/openid-configuration': [
          { status: 200, body: { ...doc, issuer: doc.issuer === 'ISS' ? 'https://idp.example' : doc.issuer } },
        ],
      });
      try {
        const result = fetchProviderMetadata(`${s.url}/.well-known/openid-configuration`, 'https://idp.example', {
          allowHttp: true,
        });
        if (expected === 'ok') assert.equal((await result).deviceAuthorizationEndpoint, 'https://d');
        else await assert.rejects(result, (e: unknown) => PgOpsError.is(e, expected));
      } finally {
        s.close();
      }
    }
  });

  it('words the prompt inertly: escape sequences and line breaks from the provider are shown, not obeyed', () => {
    const text = devicePromptText({
      verificationUri: 'https://idp.example/device\x1b]8;;https://evil\x07',
      userCode: 'AB\x1b[2J\r\nCD\u202e',
      expiresInSeconds: 60,
    });
    assert.doesNotMatch(text, /[\x00-\x1f\x7f-\x9f\u202e]/);
    assert.equal(
      text,
      'Visit https://idp.example/device\\x1b]8;;https://evil\\x07 and enter the code: AB\\x1b[2J\\r\\nCD\\u{202e}',
    );
  });
});

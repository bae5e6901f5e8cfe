import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  OAuthBearerClient,
  initialResponse,
  isBearerToken,
  parseChallenge,
} from '../../src/core/auth/oauth/bearerClient';
import { PgOpsError } from '../../src/core/errors';

function message(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), len, body]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/**
 * A scripted server speaking just enough of the protocol to misbehave after the error challenge,
 * which no real PostgreSQL does: it claims AuthenticationOk after the client's `\x01`.
 * Records what the client sent in its SASL messages.
 */
async function misbehavingServer(): Promise<{ port: number; saslMessages: string[]; close(): void }> {
  const saslMessages: string[] = [];
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    let startupSeen = false;
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!startupSeen) {
          if (buf.length < 4) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          buf = buf.subarray(len);
          startupSeen = true;
          socket.write(message('R', Buffer.concat([int32(10), Buffer.from('OAUTHBEARER\0\0')])));
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type !== 'p') continue;
        if (saslMessages.length === 0) {
          const mechEnd = body.indexOf(0);
          saslMessages.push(body.subarray(mechEnd + 5).toString('utf8'));
          const challenge = JSON.stringify({
            status: 'invalid_token',
            'openid-configuration': 'https://idp.example/.well-known/openid-configuration',
            scope: 'openid',
          });
          socket.write(message('R', Buffer.concat([int32(11), Buffer.from(challenge)])));
        } else {
          saslMessages.push(body.toString('utf8'));
          socket.write(Buffer.concat([message('R', int32(0)), message('Z', Buffer.from('I'))]));
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as AddressInfo).port, saslMessages, close: () => server.close() };
}

function plainConfig(port: number): {
  host: string;
  port: number;
  user: string;
  database: string;
  connectionTimeoutMillis: number;
} {
  return { host: '127.0.0.1', port, user: 'alice', database: 'postgres', connectionTimeoutMillis: 5000 };
}

describe('SASL OAUTHBEARER messages', () => {
  it('builds the RFC 7628 initial response with a token and the empty one for discovery', () => {
    assert.equal(initialResponse('abc.DEF-123'), 'n,,\x01auth=Bearer abc.DEF-123\x01\x01');
    assert.equal(initialResponse(undefined), 'n,,\x01auth=\x01\x01');
  });

  it('accepts only RFC 6750 b64token characters in a token', () => {
    assert.ok(isBearerToken('eyJhbGciOi.J9-_~+/abc=='));
    for (const bad of ['', 'has space', 'quote"', 'naïve', 'a=b']) assert.ok(!isBearerToken(bad), bad);
  });

  it("parses the server's error challenge and refuses malformed ones", () => {
    assert.deepEqual(
      parseChallenge(
        '{ "status": "invalid_token", "openid-configuration": "https://i/.well-known/openid-configuration", "scope": "openid postgres" }',
      ),
      {
        status: 'invalid_token',
        openidConfiguration: 'https://i/.well-known/openid-configuration',
        scope: 'openid postgres',
      },
    );
    for (const bad of ['not json', '[]', '{"scope":"x"}', '{"status":"invalid_token","scope":1}']) {
      assert.throws(
        () => parseChallenge(bad),
        (e: unknown) => PgOpsError.is(e, 'oauth-protocol'),
      );
    }
  });

  it('answers the error challenge with a single 0x01 and refuses a success claimed after it', async () => {
    const server = await misbehavingServer();
    // The scripted server has no TLS: allowed here as PGOAUTHDEBUG=UNSAFE would (the next test shows the default).
    const client = new OAuthBearerClient({
      ...plainConfig(server.port),
      oauthBearerToken: 'dG9rZW4',
      oauthAllowUnencrypted: true,
    });
    client.on('error', () => undefined);
    try {
      await assert.rejects(
        client.connect(),
        (e: unknown) => PgOpsError.is(e, 'oauth-protocol') && /claimed success after rejecting/.test(e.message),
      );
      assert.deepEqual(server.saslMessages, ['n,,\x01auth=Bearer dG9rZW4\x01\x01', '\x01']);
      assert.equal(client.oauthChallenge?.status, 'invalid_token');
    } finally {
      await client.end().catch(() => undefined);
      server.close();
    }
  });

  it('sends no bearer token over plain TCP: only over TLS or a Unix-domain socket', async () => {
    const server = await misbehavingServer();
    const client = new OAuthBearerClient({ ...plainConfig(server.port), oauthBearerToken: 'dG9rZW4' });
    client.on('error', () => undefined);
    try {
      await assert.rejects(
        client.connect(),
        (e: unknown) => PgOpsError.is(e, 'oauth-tls-required') && e.message.includes(`127.0.0.1:${server.port}`),
      );
      assert.deepEqual(server.saslMessages, [], 'nothing was sent in the SASL exchange');
    } finally {
      await client.end().catch(() => undefined);
      server.close();
    }
  });

  it('does not send a token that is not a valid bearer token', async () => {
    const server = await misbehavingServer();
    const client = new OAuthBearerClient({
      ...plainConfig(server.port),
      oauthBearerToken: () => Promise.resolve('bad token'),
      oauthAllowUnencrypted: true,
    });
    client.on('error', () => undefined);
    try {
      await assert.rejects(
        client.connect(),
        (e: unknown) => PgOpsError.is(e, 'oauth-token-format') && !e.message.includes('bad token'),
      );
      assert.deepEqual(server.saslMessages, []);
    } finally {
      await client.end().catch(() => undefined);
      server.close();
    }
  });

  it("keeps the token out of the client's enumerable properties", () => {
    const client = new OAuthBearerClient({ host: '127.0.0.1', oauthBearerToken: 'c2VjcmV0LXRva2Vu' });
    assert.ok(!Object.values(client).includes('c2VjcmV0LXRva2Vu'));
    assert.ok(!Object.keys(client).includes('tokenSource'));
    const params = (client as unknown as { connectionParameters: object }).connectionParameters;
    assert.ok(!JSON.stringify(params).includes('c2VjcmV0LXRva2Vu'));
  });
});

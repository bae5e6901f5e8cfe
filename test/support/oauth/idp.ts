/**
 * A real OpenID provider for the OAuth tests: panva's oidc-provider with the device flow and
 * token introspection, on 127.0.0.1. Clients reach it over HTTPS (a self-signed certificate made
 * with openssl, trusted by passing its PEM as `ca`); the C validator inside PostgreSQL, which has
 * no TLS of its own, introspects over a second, plain-HTTP loopback listener of the same provider.
 */
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Provider from 'oidc-provider';
import { tempDir } from '../servers';

const execFileAsync = promisify(execFile);

export const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

/** Test clients: each shows one provider behaviour the client must handle. */
export const clients = {
  /** Normal public client of the device flow (libpq's usual case: no secret). */
  normal: 'pg-client',
  /** Its device codes expire after 2 s: the expired-code test. */
  shortCode: 'pg-client-short-code',
  /** Its access tokens live 3 s and it gets refresh tokens: the refresh test. */
  shortToken: 'pg-client-short-token',
  /** A confidential client: the provider refuses it unless it authenticates with its secret (HTTP Basic). */
  confidential: 'pg-confidential-client',
} as const;

export interface TestIdp {
  issuer: string;
  /** PEM of the self-signed certificate; pass as `ca` to trust the issuer. */
  caPem: string;
  /** Its private key (PEM): lets a test serve another site the same clients already trust (a hostile provider). */
  keyPem: string;
  /** Plain-HTTP loopback port for the validator's introspection. */
  introspectionPort: number;
  introspectionPath: string;
  /** base64("pg-validator:<secret>") — the validator's credentials, for the postmaster environment. */
  validatorAuth: string;
  /** oauth_client_secret of `clients.confidential` (random per start). */
  confidentialSecret: string;
  /** Every access and refresh token the provider issued, so tests can show none of them leaked. */
  issuedTokens: string[];
  /** Requests seen per path (e.g. '/device/auth', '/token', '/token/introspection'). */
  requests: Map<string, number>;
  requestCount(pathname: string): number;
  stop(): Promise<void>;
}

/** A self-signed certificate for `host` (an IP address), made with openssl into `dir` as NAME.key / NAME.crt. */
export async function selfSignedCert(
  dir: string,
  host: string,
  name = 'idp',
): Promise<{ key: string; cert: string; keyFile: string; certFile: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    `/CN=${host}`,
    '-addext',
    `subjectAltName=IP:${host}`,
  ]);
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), keyFile, certFile };
}

function listen(server: http.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function providerConfig(validatorSecret: string, confidentialSecret: string): Record<string, unknown> {
  const publicClient = (clientId: string) => ({
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    grant_types: [deviceGrant, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  });
  return {
    clients: [
      publicClient(clients.normal),
      publicClient(clients.shortCode),
      publicClient(clients.shortToken),
      {
        ...publicClient(clients.confidential),
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret: confidentialSecret,
      },
      {
        client_id: 'pg-validator',
        client_secret: validatorSecret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: { deviceFlow: { enabled: true }, introspection: { enabled: true }, devInteractions: { enabled: true } },
    scopes: ['openid', 'offline_access', 'postgres'],
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    findAccount: (_ctx: unknown, id: string) =>
      Promise.resolve({ accountId: id, claims: () => Promise.resolve({ sub: id }) }),
    ttl: {
      DeviceCode: (_ctx: unknown, _code: unknown, client: { clientId: string }) =>
        client.clientId === clients.shortCode ? 2 : 600,
      AccessToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        client.clientId === clients.shortToken ? 3 : 3600,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
    },
  };
}

/**
 * Starts the provider; the caller stops it in `after`. `host` is the loopback address of its HTTPS
 * side (and issuer); the validator's plain-HTTP listener is always on 127.0.0.1.
 */
export async function startTestIdp(opts: { host?: string } = {}): Promise<TestIdp> {
  const host = opts.host ?? '127.0.0.1';
  const dir = tempDir('idp');
  const { key, cert } = await selfSignedCert(dir, host);
  const requests = new Map<string, number>();
  const validatorSecret = crypto.randomBytes(18).toString('base64url');
  const confidentialSecret = crypto.randomBytes(18).toString('base64url');
  const issuedTokens: string[] = [];
  const httpsServer = https.createServer({ key, cert });
  const httpsPort = await listen(httpsServer, host);
  const issuer = `https://${host}:${httpsPort}`;
  const provider = new Provider(issuer, providerConfig(validatorSecret, confidentialSecret));
  // Opaque tokens: the token is its jti ('saved' when stored, 'issued' for formats that are not).
  for (const event of ['access_token.saved', 'access_token.issued', 'refresh_token.saved']) {
    provider.on(event, (token: unknown) => {
      const jti = (token as { jti?: string }).jti;
      if (jti) issuedTokens.push(jti);
    });
  }
  // oidc-provider sends no `interval`; libpq (and we) would then wait 5 s between polls.
  provider.on('device_authorization.success', (_ctx: unknown, body: unknown) => {
    (body as { interval?: number }).interval = 1;
  });
  const handler = provider.callback();
  const counted = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const pathname = new URL(req.url ?? '/', issuer).pathname;
    requests.set(pathname, (requests.get(pathname) ?? 0) + 1);
    handler(req, res);
  };
  httpsServer.on('request', counted);
  const httpServer = http.createServer(counted);
  const introspectionPort = await listen(httpServer, '127.0.0.1');
  return {
    issuer,
    caPem: cert,
    keyPem: key,
    introspectionPort,
    introspectionPath: '/token/introspection',
    validatorAuth: Buffer.from(`pg-validator:${validatorSecret}`).toString('base64'),
    confidentialSecret,
    issuedTokens,
    requests,
    requestCount: (p) => requests.get(p) ?? 0,
    stop: async () => {
      await Promise.all([close(httpsServer), close(httpServer)]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

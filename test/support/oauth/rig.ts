/**
 * The OAuth test rig: the real identity provider (idp.ts), the introspecting validator compiled
 * from C with gcc into a temp dir, and a dedicated PostgreSQL 18 whose pg_hba.conf has oauth lines.
 * The server has TLS (ssl=on, a self-signed certificate for 127.0.0.1), as pgops sends bearer tokens
 * only over TLS; its `host` lines accept plain TCP too, so tests can show a plain connection refused.
 * OAuth exists only in PostgreSQL 18, so this rig runs on 18 alone and fails loudly without it.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { chownTree, serverRunAs } from '../../../src/core/sandbox/osUser';
import { freePort } from '../../../src/core/sandbox/pgServer';
import { quoteIdent } from '../../../src/core/sql';
import type { TestServer } from '../servers';
import { availableBinaries, missingServersHint, repoRoot, startTestServer, tempDir } from '../servers';
import type { TestIdp } from './idp';
import { selfSignedCert, startTestIdp } from './idp';

const execFileAsync = promisify(execFile);

export const validatorSource = path.join(repoRoot, 'test', 'support', 'oauth', 'introspect_validator.c');

/** Compiles the validator; returns the library path without suffix, as oauth_validator_libraries takes it. */
export async function buildValidator(dir: string): Promise<string> {
  const lib = path.join(dir, 'introspect_validator');
  try {
    await execFileAsync('gcc', [
      '-std=c11',
      '-D_GNU_SOURCE',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fPIC',
      '-shared',
      '-o',
      `${lib}.so`,
      validatorSource,
    ]);
  } catch (err) {
    throw new Error(
      `building the OAuth validator with gcc failed (gcc is required for the OAuth tests): ${(err as { stderr?: string }).stderr ?? String(err)}`,
    );
  }
  fs.chmodSync(`${lib}.so`, 0o755);
  return lib;
}

export const oauthScope = 'openid postgres';
export const authenticationTimeoutSeconds = 2;

export interface OAuthRig {
  idp: TestIdp;
  server: TestServer;
  /** PEM of the server's self-signed TLS certificate: as `ca` (or sslrootcert) it verifies the server fully. */
  serverCaPem: string;
  /** The same certificate as a file, for sslrootcert in a connection string. */
  serverCaFile: string;
  /** An issuer nobody listens at, named by the pg_hba line of role `nobody_home`. */
  unreachableIssuer: string;
  serverLog(): string;
  stop(): Promise<void>;
}

/** pg_hba.conf: superuser by socket and password; OAuth for the test roles. */
function hbaFor(issuer: string, unreachableIssuer: string): string {
  return [
    'local all all trust',
    'host all postgres 127.0.0.1/32 scram-sha-256',
    `host all nobody_home 127.0.0.1/32 oauth issuer="${unreachableIssuer}" scope="${oauthScope}"`,
    `host all all 127.0.0.1/32 oauth issuer="${issuer}" scope="${oauthScope}"`,
    '',
  ].join('\n');
}

/** The server's certificate and key in their own folder, owned by the server's OS user (the key mode 0600, as PostgreSQL insists). */
async function serverCertificate(
  dir: string,
): Promise<{ cert: string; certFile: string; keyFile: string; caFile: string }> {
  const tlsDir = path.join(dir, 'server-tls');
  fs.mkdirSync(tlsDir, { mode: 0o755 });
  const made = await selfSignedCert(tlsDir, '127.0.0.1', 'server');
  fs.chmodSync(made.keyFile, 0o600);
  chownTree(tlsDir, serverRunAs());
  const caFile = path.join(dir, 'server-ca.crt');
  fs.writeFileSync(caFile, made.cert);
  return { cert: made.cert, certFile: made.certFile, keyFile: made.keyFile, caFile };
}

/** `idpHost`: the provider's loopback address (see startTestIdp). */
export async function startOAuthRig(opts: { idpHost?: string } = {}): Promise<OAuthRig> {
  const pg18 = availableBinaries().find((b) => b.major === 18);
  if (!pg18) throw new Error(`The OAuth tests need PostgreSQL 18 (OAuth exists only there). ${missingServersHint}`);
  const dir = tempDir('oauth-validator');
  const validator = await buildValidator(dir);
  const tls = await serverCertificate(dir);
  const idp = await startTestIdp({ host: opts.idpHost });
  const unreachableIssuer = `https://127.0.0.1:${await freePort()}`;
  let server: TestServer;
  try {
    server = await startTestServer(pg18, {
      hba: hbaFor(idp.issuer, unreachableIssuer),
      // Short, so a test can show that no connection is held open while the person approves.
      settings: {
        oauth_validator_libraries: validator,
        authentication_timeout: `${authenticationTimeoutSeconds}s`,
        ssl: 'on',
        ssl_cert_file: tls.certFile,
        ssl_key_file: tls.keyFile,
      },
      env: {
        OAUTH_INTROSPECT_PORT: String(idp.introspectionPort),
        OAUTH_INTROSPECT_PATH: idp.introspectionPath,
        OAUTH_INTROSPECT_AUTH: idp.validatorAuth,
        OAUTH_EXPECTED_ISS: idp.issuer,
        OAUTH_REQUIRED_SCOPE: 'postgres',
      },
    });
    const admin = await server.admin();
    try {
      for (const role of ['alice', 'bob', 'nobody_home']) await admin.query(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await idp.stop();
    throw err;
  }
  return {
    idp,
    server,
    unreachableIssuer,
    serverCaPem: tls.cert,
    serverCaFile: tls.caFile,
    serverLog: () => fs.readFileSync(server.layout.logFile, 'utf8'),
    stop: async () => {
      await server.stop();
      await idp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

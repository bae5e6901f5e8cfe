import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { PgOpsError } from '../errors';
import type { ConnParams, SslMode } from './params';
import type { HostSpec, ResolvedConnection } from './resolve';

/** Options handed to `pg` as `ssl` (they end up in tls.connect). */
export interface PgSslOptions {
  rejectUnauthorized: boolean;
  ca?: string | string[];
  cert?: string;
  key?: string;
  passphrase?: string;
  crl?: string | string[];
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

/** One way to try a host: plain, or TLS with these options. `verify` says what TLS checks. */
export type SslAttempt = { ssl: false } | { ssl: PgSslOptions; verify: 'none' | 'ca' | 'full' };

/**
 * The attempts libpq makes for one host under its sslmode. `pg` knows only "TLS or not", so
 * libpq's fallbacks are spelled out here: prefer tries TLS then plain, allow plain then TLS.
 * Unix sockets never use TLS (libpq ignores sslmode there).
 */
export function sslAttempts(r: ResolvedConnection, h: HostSpec): SslAttempt[] {
  if (h.socket) return [{ ssl: false }];
  const mode = effectiveSslMode(r);
  if (mode === 'disable') return [{ ssl: false }];
  const files = tlsFiles(r.params, r.context.homeDir, mode);
  const base: PgSslOptions = {
    rejectUnauthorized: false,
    ...clientCertificate(r.params, r.context.homeDir),
    minVersion: protocolVersion(r.params.ssl_min_protocol_version, 'ssl_min_protocol_version') ?? 'TLSv1.2',
    maxVersion: protocolVersion(r.params.ssl_max_protocol_version, 'ssl_max_protocol_version'),
  };
  if (files.crl) base.crl = files.crl;
  if (r.params.sslpassword) base.passphrase = r.params.sslpassword;
  const insecure: SslAttempt = { ssl: base, verify: 'none' };
  // libpq: with a root certificate present, "require" verifies the chain like verify-ca.
  const verifyLevel =
    mode === 'verify-full' ? 'full' : mode === 'verify-ca' || (mode === 'require' && files.ca) ? 'ca' : 'none';
  if (mode === 'allow') return [{ ssl: false }, insecure];
  if (mode === 'prefer') return [insecure, { ssl: false }];
  if (verifyLevel === 'none') return [insecure];
  const expected = h.host;
  const verified: PgSslOptions = {
    ...base,
    rejectUnauthorized: true,
    ca: files.ca,
    // Our own identity check: pg sets no servername for IP hosts, and verify-ca checks no name at all.
    checkServerIdentity:
      verifyLevel === 'full' ? (_host, cert) => tls.checkServerIdentity(expected, cert) : () => undefined,
  };
  return [{ ssl: verified, verify: verifyLevel }];
}

/** sslrootcert=system without an explicit sslmode means verify-full (libpq 16+); weaker modes are refused. */
export function effectiveSslMode(r: ResolvedConnection): SslMode {
  if (r.params.sslrootcert !== 'system') return r.sslmode;
  if (r.sources.sslmode === 'default') return 'verify-full';
  if (r.sslmode !== 'verify-full') {
    throw new PgOpsError(
      'tls',
      `weak sslmode "${r.sslmode}" may not be used with sslrootcert=system (use "verify-full")`,
      'Set sslmode=verify-full, or point sslrootcert at a CA file.',
    );
  }
  return r.sslmode;
}

function expandHome(p: string, home: string): string {
  return p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

function tlsFiles(p: ConnParams, home: string, mode: SslMode): { ca?: string | string[]; crl?: string[] } {
  const out: { ca?: string | string[]; crl?: string[] } = {};
  if (p.sslrootcert === 'system') {
    out.ca = systemRoots();
  } else {
    const rootFile = expandHome(p.sslrootcert || path.join(home, '.postgresql', 'root.crt'), home);
    if (fs.existsSync(rootFile)) out.ca = readTlsFile(rootFile, 'sslrootcert');
    else if (mode === 'verify-ca' || mode === 'verify-full') {
      throw new PgOpsError(
        'tls',
        `root certificate file "${rootFile}" does not exist`,
        "Either provide the file (sslrootcert), use the system's trusted roots with " +
          'sslrootcert=system, or change sslmode to disable server certificate verification.',
      );
    }
  }
  const crlFile = expandHome(p.sslcrl || path.join(home, '.postgresql', 'root.crl'), home);
  const crls = fs.existsSync(crlFile) ? [readTlsFile(crlFile, 'sslcrl')] : [];
  if (p.sslcrldir) crls.push(...crlDirectory(expandHome(p.sslcrldir, home)));
  if (crls.length) out.crl = crls;
  return out;
}

/**
 * sslcrldir: the CRLs in a directory (libpq looks them up by OpenSSL's hashed names; every CRL file
 * there is read, which checks the same revocations). A missing directory is an error here, where
 * libpq would quietly check nothing: a mistyped path must not switch revocation checking off.
 */
function crlDirectory(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new PgOpsError(
      'tls',
      `cannot read the sslcrldir directory "${dir}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'Point sslcrldir at a directory of CRL files (PEM), or remove it.',
    );
  }
  return names
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => fs.statSync(f).isFile())
    .map((f) => fs.readFileSync(f, 'utf8'))
    .filter((text) => text.includes('-----BEGIN X509 CRL-----'));
}

/** Bundles OpenSSL builds use as their default CA file (Debian/Ubuntu, RHEL/Fedora, Node's static OpenSSL). */
const defaultCaFiles = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

/**
 * The system trust store libpq's sslrootcert=system means: OpenSSL's default paths, which
 * SSL_CERT_FILE and SSL_CERT_DIR replace. Node 22.15+ reads exactly those (tls.getCACertificates
 * ('system')), reading at startup; older Node has no such call, so the same rules are applied here.
 */
function systemRoots(): string[] {
  const env = process.env;
  const getCa = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  const roots = getCa ? getCa('system') : openSslDefaultRoots(env);
  if (roots.length === 0) {
    throw new PgOpsError(
      'tls',
      `sslrootcert=system: the system trust store has no certificates ` +
        `(SSL_CERT_FILE=${env.SSL_CERT_FILE ?? 'unset'}, SSL_CERT_DIR=${env.SSL_CERT_DIR ?? 'unset'})`,
      'Point SSL_CERT_FILE or SSL_CERT_DIR at the trusted CA certificates, install the system CA bundle, or use sslrootcert=FILE.',
    );
  }
  return roots;
}

/** OpenSSL's default CA file (or SSL_CERT_FILE) plus every file in SSL_CERT_DIR, as Node 22.15+ reads them. */
export function openSslDefaultRoots(env: NodeJS.ProcessEnv): string[] {
  const file = env.SSL_CERT_FILE !== undefined ? env.SSL_CERT_FILE : defaultCaFiles.find((f) => fs.existsSync(f));
  const roots = file ? pemCertificates(readIfFile(file)) : [];
  for (const dir of (env.SSL_CERT_DIR ?? '').split(path.delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) roots.push(...pemCertificates(readIfFile(path.join(dir, name))));
  }
  return roots;
}

/** A file's text; empty when it is missing, unreadable or not a file (OpenSSL skips those too). */
function readIfFile(file: string): string {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** sslcert/sslkey (or ~/.postgresql/postgresql.crt/.key); a missing certificate means none, as in libpq. */
function clientCertificate(p: ConnParams, home: string): { cert?: string; key?: string } {
  const certFile = expandHome(p.sslcert || path.join(home, '.postgresql', 'postgresql.crt'), home);
  if (!fs.existsSync(certFile)) return {};
  const keyFile = expandHome(p.sslkey || path.join(home, '.postgresql', 'postgresql.key'), home);
  if (!fs.existsSync(keyFile)) {
    throw new PgOpsError(
      'tls',
      `certificate present, but not private key file "${keyFile}"`,
      "Set sslkey to the client certificate's private key.",
    );
  }
  checkKeyPermissions(keyFile);
  return { cert: readTlsFile(certFile, 'sslcert'), key: readTlsFile(keyFile, 'sslkey') };
}

/** libpq refuses a private key others can read: 0600 when it is yours, 0640 when root owns it. */
export function checkKeyPermissions(keyFile: string): void {
  const st = fs.statSync(keyFile);
  if (!st.isFile())
    throw new PgOpsError(
      'tls',
      `private key file "${keyFile}" is not a regular file`,
      'Point sslkey at the key file itself.',
    );
  if (process.platform === 'win32') return;
  const mask = st.uid === 0 ? 0o037 : 0o077;
  if ((st.mode & mask) !== 0) {
    throw new PgOpsError(
      'tls',
      `private key file "${keyFile}" has group or world access; file must have permissions u=rw ` +
        `(0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root`,
      `Run: chmod 0600 ${keyFile}`,
    );
  }
}

function readTlsFile(file: string, keyword: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PgOpsError(
      'tls',
      `could not read ${keyword} file "${file}": ${(err as Error).message}`,
      'Check the path and its permissions.',
      { cause: err },
    );
  }
}

function protocolVersion(v: string | undefined, keyword: string): tls.SecureVersion | undefined {
  if (!v) return undefined;
  const known: Record<string, tls.SecureVersion> = {
    TLSv1: 'TLSv1',
    'TLSv1.1': 'TLSv1.1',
    'TLSv1.2': 'TLSv1.2',
    'TLSv1.3': 'TLSv1.3',
  };
  const mapped = known[v];
  if (!mapped)
    throw new PgOpsError('conninfo', `invalid ${keyword} value: "${v}"`, 'Use TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3.');
  return mapped;
}

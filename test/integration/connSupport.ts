/**
 * Fixtures for the connection tests: a CA with server and client certificates made by the real
 * openssl, a physical standby copied from a cleanly stopped primary, a TCP port that accepts and
 * never answers, and a resolve context that reads files only from a test directory.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolveContext } from '../../src/core/conn/resolve';
import type { RunAs } from '../../src/core/sandbox/osUser';
import { chownTree, serverRunAs } from '../../src/core/sandbox/osUser';
import type { PgServerLayout } from '../../src/core/sandbox/pgServer';
import {
  delay,
  freePort,
  postmasterArgs,
  readPostmasterPid,
  startServer,
  stopServer,
} from '../../src/core/sandbox/pgServer';
import type { TestServer } from '../support/servers';
import { tempDir } from '../support/servers';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate for CN=certuser, with its key (0600, owned by us). */
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: verification against it must fail. */
  otherCaCert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** CA → server certificate (SAN localhost, 127.0.0.1) and client certificate (CN=certuser). */
export function makeCerts(runAs: RunAs | undefined): TestCerts {
  const dir = tempDir('conn-certs');
  const sub = (cn: string) => `/CN=${cn}`;
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      sub('pgops test CA'),
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      sub('other CA'),
      '-keyout',
      'other.key',
      '-out',
      'other.crt',
    ],
    dir,
  );
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', sub('localhost'), '-keyout', 'server.key', '-out', 'server.csr'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', sub('certuser'), '-keyout', 'client.key', '-out', 'client.csr'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'client.crt',
    ],
    dir,
  );
  // The server's files belong to the server account; the key must not be readable by others.
  const serverDir = path.join(dir, 'server');
  fs.mkdirSync(serverDir);
  for (const f of ['server.crt', 'server.key', 'ca.crt']) fs.copyFileSync(path.join(dir, f), path.join(serverDir, f));
  fs.chmodSync(path.join(serverDir, 'server.key'), 0o600);
  chownTree(serverDir, runAs);
  fs.chmodSync(path.join(dir, 'client.key'), 0o600);
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    serverCert: path.join(serverDir, 'server.crt'),
    serverKey: path.join(serverDir, 'server.key'),
    clientCert: path.join(dir, 'client.crt'),
    clientKey: path.join(dir, 'client.key'),
    otherCaCert: path.join(dir, 'other.crt'),
  };
}

/**
 * A CRL signed by the test CA (openssl ca), revoking `revoke` when given; written to a new directory
 * under the certificates' folder, whose path is returned with the file's.
 */
export function makeCrl(c: TestCerts, name: string, revoke?: string): { dir: string; file: string } {
  const work = path.join(c.dir, `crl-${name}`);
  fs.mkdirSync(path.join(work, 'out'), { recursive: true });
  fs.writeFileSync(path.join(work, 'index.txt'), '');
  fs.writeFileSync(path.join(work, 'crlnumber'), '01\n');
  fs.writeFileSync(
    path.join(work, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      `database = ${path.join(work, 'index.txt')}`,
      `crlnumber = ${path.join(work, 'crlnumber')}`,
      `certificate = ${c.caCert}`,
      `private_key = ${path.join(c.dir, 'ca.key')}`,
      'default_md = sha256',
      'default_crl_days = 2',
      '',
    ].join('\n'),
  );
  if (revoke) openssl(['ca', '-config', 'ca.cnf', '-revoke', revoke], work);
  const file = path.join(work, 'out', 'test.crl.pem');
  openssl(['ca', '-config', 'ca.cnf', '-gencrl', '-out', file], work);
  return { dir: path.join(work, 'out'), file };
}

export function sslSettings(c: TestCerts): Record<string, string> {
  return {
    ssl: 'on',
    ssl_cert_file: c.serverCert,
    ssl_key_file: c.serverKey,
    ssl_ca_file: path.join(path.dirname(c.serverKey), 'ca.crt'),
  };
}

export interface Standby {
  port: number;
  socketDir: string;
  stop(): Promise<void>;
}

/**
 * A real hot standby of `primary`: the primary is stopped cleanly, its data directory copied
 * (a cold base backup), and the copy started with standby.signal streaming from the primary.
 */
export async function startStandby(primary: TestServer): Promise<Standby> {
  const runAs = serverRunAs();
  await stopServer(primary.layout.dataDir);
  const root = tempDir(`conn-standby-pg${primary.major}`);
  const dataDir = path.join(root, 'data');
  execFileSync('cp', ['-a', primary.layout.dataDir, dataDir]);
  await startServer(primary.layout);
  fs.writeFileSync(path.join(dataDir, 'standby.signal'), '');
  fs.appendFileSync(
    path.join(dataDir, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=${primary.socketDir} port=${primary.port} user=postgres application_name=pgops_standby'\n`,
  );
  const layout: PgServerLayout = {
    binaries: primary.binaries,
    dataDir,
    socketDir: path.join(root, 'sock'),
    logFile: path.join(root, 'server.log'),
    port: await freePort(),
    listenAddresses: '127.0.0.1',
    runAs,
  };
  fs.mkdirSync(layout.socketDir, { mode: 0o755 });
  chownTree(root, runAs);
  fs.chmodSync(layout.socketDir, 0o755);
  await startHotStandby(layout);
  return {
    port: layout.port,
    socketDir: layout.socketDir,
    stop: async () => {
      await stopServer(dataDir);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** startServer waits for "ready"; a hot standby reports "standby" in postmaster.pid instead. */
async function startHotStandby(layout: PgServerLayout): Promise<void> {
  const args = postmasterArgs(layout);
  const log = fs.openSync(layout.logFile, 'a', 0o600);
  chownTree(layout.logFile, layout.runAs);
  const child = spawn(path.join(layout.binaries.binDir, 'postgres'), args, {
    detached: true,
    stdio: ['ignore', log, log],
    uid: layout.runAs?.uid,
    gid: layout.runAs?.gid,
    cwd: layout.dataDir,
    env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C', HOME: '/tmp' },
  });
  fs.closeSync(log);
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = readPostmasterPid(layout.dataDir)?.status;
    if (status === 'standby' || status === 'ready') return;
    if (child.exitCode !== null) break;
    await delay(100);
  }
  throw new Error(
    `standby in ${layout.dataDir} did not start:\n${fs.existsSync(layout.logFile) ? fs.readFileSync(layout.logFile, 'utf8').slice(-2000) : ''}`,
  );
}

/** A TCP port that accepts connections and never says a word: libpq's connect_timeout case. */
export async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, () => resolve()));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A resolve context isolated from this machine's ~/.pgpass, service files and PG* variables. */
export function isolatedContext(env: Record<string, string> = {}): ResolveContext & { home: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-conn-home-'));
  return {
    env: { HOME: home, ...env },
    homeDir: home,
    home,
    osUser: os.userInfo().username,
    defaultSocketDir: '/var/run/postgresql',
    sysconfDir: path.join(home, 'no-sysconf'),
  };
}

/**
 * A real Patroni HA cluster for the HA tests: one etcd (Debian etcd-server, v2 API on, as Patroni 3.0.2
 * needs) and three Patroni-managed PostgreSQL 15 nodes on loopback, each with its own REST and
 * PostgreSQL port. Everything runs as the server account (Patroni refuses root) from one temp folder,
 * and is stopped by the PIDs started here — on stop(), on failure and at process exit.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { serverRunAs, chownTree } from '../../src/core/sandbox/osUser';
import { delay, freePort, killServerSync, processAlive, readPostmasterPid } from '../../src/core/sandbox/pgServer';

export const patroniBin = '/usr/bin/patroni';
export const etcdBin = '/usr/bin/etcd';
export const pg15BinDir = '/usr/lib/postgresql/15/bin';
export const missingPatroniHint =
  'The HA tests need Debian packages patroni, etcd-server and postgresql-15: ' +
  'apt-get install --no-install-recommends patroni etcd-server postgresql-15 (npm test installs them as root).';

export interface PatroniNode {
  name: string;
  restPort: number;
  pgPort: number;
  dataDir: string;
  restUrl: string;
  /** The Patroni process of this node, while it runs. */
  process?: ChildProcess;
}

export interface PatroniCluster {
  scope: string;
  nodes: PatroniNode[];
  /** etcd's client URL: an HTTP server that is not Patroni. */
  etcdUrl: string;
  /** Every node's REST URL, comma-separated, as `--patroni` takes them. */
  restUrls: string;
  /** The REST API's basic-auth account (Patroni asks for it on POST/PATCH/DELETE). Never print the password. */
  restUser: string;
  restPassword: string;
  /** The superuser, over TCP with scram. Never print the password. */
  superuser: string;
  superPassword: string;
  /** What `pgops` reads its secrets from: PGPASSWORD and Patroni's PATRONI_RESTAPI_USERNAME/PASSWORD. */
  cliEnv(): NodeJS.ProcessEnv;
  /** `pgops drill EVENT` on this cluster: every node in --conn, the REST URLs, and the caller's flags. */
  drillArgs(event: 'switchover' | 'failover', ...flags: string[]): string[];
  /** A libpq URI naming every node, `target_session_attrs` left to the caller. */
  multiHostUri(extra?: string): string;
  /** Patroni's GET /cluster from the first node that answers. */
  clusterJson(): Promise<{ members: Array<Record<string, unknown>> }>;
  /** The member that holds the leader key and runs, once there is one. */
  waitForLeader(timeoutMs: number, not?: string): Promise<string>;
  /** Waits until Patroni names a sync standby (synchronous_mode). */
  waitForSyncStandby(timeoutMs: number): Promise<void>;
  /** Waits until `count` members report state running (streaming counts as running on 3.0). */
  waitForRunning(count: number, timeoutMs: number): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export interface PatroniClusterOptions {
  synchronousMode?: boolean;
  scope?: string;
}

const live = new Set<ChildProcess>();
let exitHooked = false;

function hookExit(dataDirs: () => string[]): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = (): void => {
    for (const p of live) if (p.pid && processAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
    for (const d of dataDirs()) killServerSync(d);
  };
  process.on('exit', killAll);
}

const dataDirsStarted: string[] = [];

export function patroniAvailable(): boolean {
  return [patroniBin, etcdBin, path.join(pg15BinDir, 'postgres')].every((f) => fs.existsSync(f));
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`${url} did not answer JSON: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  logs: () => string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await delay(250);
  }
  throw new Error(
    `Patroni cluster: ${what} not seen within ${timeoutMs} ms (${last instanceof Error ? last.message : 'no answer'})\n${logs().slice(-4000)}`,
  );
}

function nodeConfig(
  c: { scope: string; root: string; etcdPort: number; synchronousMode: boolean },
  n: PatroniNode,
  secrets: { rest: string; super: string; repl: string },
): Record<string, unknown> {
  return {
    scope: c.scope,
    name: n.name,
    log: { level: 'WARNING' },
    restapi: {
      listen: `127.0.0.1:${n.restPort}`,
      connect_address: `127.0.0.1:${n.restPort}`,
      authentication: { username: 'patroni', password: secrets.rest },
    },
    etcd: { host: `127.0.0.1:${c.etcdPort}` },
    bootstrap: {
      dcs: {
        ttl: 10,
        loop_wait: 2,
        retry_timeout: 5,
        maximum_lag_on_failover: 1048576,
        synchronous_mode: c.synchronousMode,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            wal_level: 'replica',
            hot_standby: 'on',
            max_wal_senders: 10,
            max_replication_slots: 10,
            wal_log_hints: 'on',
            fsync: 'off',
            full_page_writes: 'off',
            shared_buffers: '32MB',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
      pg_hba: [
        'local all all trust',
        'host replication replicator 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
      ],
    },
    postgresql: {
      listen: `127.0.0.1:${n.pgPort}`,
      connect_address: `127.0.0.1:${n.pgPort}`,
      data_dir: n.dataDir,
      bin_dir: pg15BinDir,
      pgpass: path.join(c.root, `${n.name}.pgpass`),
      authentication: {
        superuser: { username: 'postgres', password: secrets.super },
        replication: { username: 'replicator', password: secrets.repl },
        rewind: { username: 'postgres', password: secrets.super },
      },
      parameters: {
        unix_socket_directories: path.join(c.root, `sock-${n.name}`),
        password_encryption: 'scram-sha-256',
      },
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

/** Starts etcd and three Patroni nodes and waits until one leads and two replicas run. */
export async function startPatroniCluster(opts: PatroniClusterOptions = {}): Promise<PatroniCluster> {
  if (!patroniAvailable()) throw new Error(missingPatroniHint);
  hookExit(() => dataDirsStarted);
  const runAs = serverRunAs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-patroni-'));
  fs.chmodSync(root, 0o755);
  const scope = opts.scope ?? `pgops-ha-${crypto.randomBytes(3).toString('hex')}`;
  const secrets = {
    rest: crypto.randomBytes(12).toString('base64url'),
    super: crypto.randomBytes(12).toString('base64url'),
    repl: crypto.randomBytes(12).toString('base64url'),
  };
  const etcdPort = await freePort();
  const etcdPeer = await freePort();
  const nodes: PatroniNode[] = [];
  for (const name of ['node1', 'node2', 'node3']) {
    const restPort = await freePort();
    const pgPort = await freePort();
    nodes.push({
      name,
      restPort,
      pgPort,
      dataDir: path.join(root, `data-${name}`),
      restUrl: `http://127.0.0.1:${restPort}`,
    });
    fs.mkdirSync(path.join(root, `sock-${name}`));
  }
  chownTree(root, runAs);
  const logFiles: string[] = [];
  const spawnLogged = (name: string, cmd: string, args: string[]): ChildProcess => {
    const logFile = path.join(root, `${name}.log`);
    logFiles.push(logFile);
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, {
      cwd: root,
      stdio: ['ignore', fd, fd],
      uid: runAs?.uid,
      gid: runAs?.gid,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    });
    fs.closeSync(fd);
    live.add(child);
    child.on('exit', () => live.delete(child));
    return child;
  };
  const logs = (): string =>
    logFiles.map((f) => `── ${path.basename(f)}\n${fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''}`).join('\n');

  const etcd = spawnLogged('etcd', etcdBin, [
    '--name=e1',
    `--data-dir=${path.join(root, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=e1=http://127.0.0.1:${etcdPeer}`,
    '--enable-v2=true',
  ]);

  const cluster: PatroniCluster = {
    scope,
    nodes,
    etcdUrl: `http://127.0.0.1:${etcdPort}`,
    restUrls: nodes.map((n) => n.restUrl).join(','),
    restUser: 'patroni',
    restPassword: secrets.rest,
    superuser: 'postgres',
    superPassword: secrets.super,
    cliEnv: () => ({
      PGPASSWORD: secrets.super,
      PATRONI_RESTAPI_USERNAME: 'patroni',
      PATRONI_RESTAPI_PASSWORD: secrets.rest,
    }),
    drillArgs: (event, ...flags) => [
      'drill',
      event,
      '--patroni',
      cluster.restUrls,
      '--conn',
      cluster.multiHostUri('connect_timeout=2'),
      ...flags,
    ],
    multiHostUri: (extra = '') =>
      `postgresql://postgres@${nodes.map((n) => `127.0.0.1:${n.pgPort}`).join(',')}/postgres${extra ? `?${extra}` : ''}`,
    clusterJson: async () => {
      let last: unknown;
      for (const n of nodes) {
        try {
          return (await getJson(`${n.restUrl}/cluster`)) as { members: Array<Record<string, unknown>> };
        } catch (err) {
          last = err;
        }
      }
      throw last as Error;
    },
    waitForLeader: (timeoutMs, not) =>
      waitFor(
        not ? `a leader other than ${not}` : 'a leader',
        timeoutMs,
        async () => {
          const c = await cluster.clusterJson();
          const leader = c.members.find((m) => m.role === 'leader' && m.state === 'running');
          return leader && leader.name !== not ? String(leader.name) : undefined;
        },
        logs,
      ),
    waitForRunning: async (count, timeoutMs) => {
      await waitFor(
        `${count} running members`,
        timeoutMs,
        async () => {
          const c = await cluster.clusterJson();
          const running = c.members.filter((m) => m.state === 'running' || m.state === 'streaming');
          return running.length >= count ? true : undefined;
        },
        logs,
      );
    },
    waitForSyncStandby: async (timeoutMs) => {
      await waitFor(
        'a sync standby',
        timeoutMs,
        async () => ((await cluster.clusterJson()).members.some((m) => m.role === 'sync_standby') ? true : undefined),
        logs,
      );
    },
    logs,
    stop: async () => {
      const patronis = nodes.map((n) => n.process).filter((p): p is ChildProcess => !!p);
      for (const p of patronis) if (p.pid && processAlive(p.pid)) process.kill(p.pid, 'SIGTERM');
      const until = Date.now() + 20_000;
      while (patronis.some((p) => p.exitCode === null && p.signalCode === null) && Date.now() < until) await delay(100);
      for (const p of patronis)
        if (p.exitCode === null && p.signalCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
      // a postmaster whose Patroni was killed keeps running: stop it by its own pid file
      for (const n of nodes) {
        const pid = readPostmasterPid(n.dataDir)?.pid;
        if (pid && processAlive(pid)) process.kill(pid, 'SIGQUIT');
      }
      for (const n of nodes) {
        const pid = readPostmasterPid(n.dataDir)?.pid;
        const stopBy = Date.now() + 5000;
        while (pid && processAlive(pid) && Date.now() < stopBy) await delay(100);
      }
      if (etcd.pid && processAlive(etcd.pid)) etcd.kill('SIGTERM');
      const etcdBy = Date.now() + 5000;
      while (etcd.exitCode === null && etcd.signalCode === null && Date.now() < etcdBy) await delay(100);
      if (etcd.exitCode === null && etcd.signalCode === null) etcd.kill('SIGKILL');
      fs.rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await waitFor(
      'etcd',
      20_000,
      async () => ((await getJson(`http://127.0.0.1:${etcdPort}/health`)) ? true : undefined),
      logs,
    );
    for (const n of nodes) {
      const file = path.join(root, `${n.name}.yml`);
      // JSON is YAML: Patroni reads it as its configuration file
      fs.writeFileSync(
        file,
        JSON.stringify(
          nodeConfig({ scope, root, etcdPort, synchronousMode: !!opts.synchronousMode }, n, secrets),
          null,
          2,
        ),
        { mode: 0o600 },
      );
      chownTree(file, runAs);
      dataDirsStarted.push(n.dataDir);
      n.process = spawnLogged(n.name, patroniBin, [file]);
      // the first node bootstraps alone, so that the others clone it rather than race for the initialize key
      if (n === nodes[0]) await cluster.waitForLeader(60_000);
    }
    await cluster.waitForRunning(3, 90_000);
    // synchronous_mode names a sync standby a loop or two after the replicas run
    if (opts.synchronousMode) await cluster.waitForSyncStandby(30_000);
    return cluster;
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
}

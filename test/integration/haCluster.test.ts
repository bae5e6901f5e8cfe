/**
 * Patroni HA on a real cluster: etcd and three Patroni-managed PostgreSQL 15 nodes on loopback
 * (test/support/patroniCluster.ts), synchronous_mode on. One cluster serves the whole file, in order:
 * status, REST errors, a switchover drill, then a failover drill that kills the leader's node.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { readReport } from '../../src/core/report';
import { htmlSiblingOf } from '../../src/core/report/files';
import type { PatroniCluster } from '../support/patroniCluster';
import { missingPatroniHint, patroniAvailable, startPatroniCluster } from '../support/patroniCluster';
import { tempDir } from '../support/servers';
import { runCliInProcess } from './cliProcess';

interface StatusJson {
  scope: string;
  leader: string;
  members: Array<{
    reachable: boolean;
    name: string;
    role: string;
    state: string;
    host: string;
    port: number;
    timeline: number;
    lagBytes: number | null;
  }>;
  warnings: Array<{ level: string; message: string }>;
}

interface DrillJson {
  report: string;
  runId: string;
  downtimeMs: number | null;
  reconnectMs: number | null;
  acknowledgedWrites: number;
  lostWrites: number;
  failedWrites: number;
  inDoubt: { present: number; absent: number };
  oldLeader: string;
  newLeader: string | null;
  timelineBefore: number | null;
  timelineAfter: number | null;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('Patroni cluster status, actions and failover drills (etcd + 3 × PostgreSQL 15)', function () {
  this.timeout(120_000);
  let cluster: PatroniCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const outputs: string[] = [];
  const drillReports: string[] = [];

  const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = await runCliInProcess(args, dir, { ...env, ...extra });
    outputs.push(r.out, r.err);
    return r;
  };

  /** Rows of a drill run on the current leader, counted by the test itself. */
  const rowsOf = async (runId: string): Promise<number> => {
    const leaderName = await cluster.waitForLeader(10_000);
    const leader = cluster.nodes.find((n) => n.name === leaderName)!;
    const c = new Client({
      host: '127.0.0.1',
      port: leader.pgPort,
      user: cluster.superuser,
      password: cluster.superPassword,
      database: 'postgres',
    });
    await c.connect();
    try {
      return Number(
        (await c.query<{ n: string }>('SELECT count(*) AS n FROM public.pgops_drill WHERE run_id = $1', [runId]))
          .rows[0].n,
      );
    } finally {
      await c.end();
    }
  };

  before(async function () {
    if (!patroniAvailable()) throw new Error(missingPatroniHint);
    this.timeout(180_000);
    cluster = await startPatroniCluster({ synchronousMode: true });
    dir = tempDir('ha');
    env = cluster.cliEnv();
  });

  after(async function () {
    this.timeout(60_000);
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('cluster status --json lists the three members with one leader, a sync standby and no warning', async () => {
    const r = await cli(['cluster', 'status', '--patroni', cluster.restUrls, '--json']);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as StatusJson;
    assert.equal(s.scope, cluster.scope);
    assert.deepEqual(s.members.map((m) => m.name).sort(), ['node1', 'node2', 'node3']);
    assert.equal(s.members.filter((m) => m.role === 'leader').length, 1);
    assert.equal(s.members.find((m) => m.role === 'leader')!.name, s.leader);
    assert.ok(
      s.members.some((m) => m.role === 'sync_standby'),
      JSON.stringify(s.members),
    );
    for (const m of s.members) {
      assert.equal(m.state, 'running');
      assert.equal(m.host, '127.0.0.1');
      assert.equal(m.port, cluster.nodes.find((n) => n.name === m.name)!.pgPort);
    }
    assert.deepEqual(s.warnings, []);
  });

  it("cross-checks Patroni's members with the leader's pg_stat_replication in the text view", async () => {
    const r = await cli([
      'cluster',
      'status',
      '--patroni',
      cluster.restUrls,
      '--conn',
      cluster.multiHostUri('target_session_attrs=read-write'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Cluster: ${cluster.scope}.*synchronous_mode on`));
    assert.match(r.out, /Member\s+Host\s+Role\s+State\s+TL\s+Lag in MB\s+Replay lag ms/);
    for (const n of cluster.nodes) assert.match(r.out, new RegExp(`${n.name}\\s+127\\.0\\.0\\.1:${n.pgPort}`));
    assert.doesNotMatch(r.out, /does not stream/);
  });

  it('names every URL when no member answers, and skips a dead URL before a live one', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const none = await cli(['cluster', 'status', '--patroni', `${dead},${dead}/`]);
    assert.equal(none.code, 1);
    assert.match(none.err, /No Patroni REST API answered: .*127\.0\.0\.1.*ECONNREFUSED/);
    const live = await cli(['cluster', 'status', '--patroni', `${dead},${cluster.nodes[1].restUrl}`, '--json']);
    assert.equal(live.code, 0, live.err);
    assert.equal((JSON.parse(live.out) as StatusJson).members.length, 3);
  });

  it('answers a switchover without credentials with HTTP 401 and what to set, and leaves the leader', async () => {
    const leader = await cluster.waitForLeader(5000);
    const r = await cli(['cluster', 'switchover', '--patroni', cluster.restUrls, '--yes'], {
      PATRONI_RESTAPI_USERNAME: undefined,
      PATRONI_RESTAPI_PASSWORD: undefined,
    });
    assert.equal(r.code, 1);
    assert.match(r.err, /HTTP 401/);
    assert.match(r.err, /PATRONI_RESTAPI_USERNAME/);
    assert.equal(await cluster.waitForLeader(5000), leader);
  });

  it('refuses bad input before sending anything: an unknown candidate, a URL that is not Patroni, credentials in a URL', async () => {
    const unknown = await cli([
      'cluster',
      'switchover',
      '--patroni',
      cluster.restUrls,
      '--candidate',
      'node9',
      '--yes',
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no member named "node9".*Members: node1, node2, node3/s);
    const creds = await cli(['cluster', 'status', '--patroni', 'http://u:p@127.0.0.1:1']);
    assert.equal(creds.code, 1);
    assert.match(creds.err, /a URL carries credentials/);
    const notPatroni = await cli(['cluster', 'status', '--patroni', cluster.etcdUrl]);
    assert.equal(notPatroni.code, 1);
    assert.match(notPatroni.err, /Patroni answered GET \/cluster at http:\/\/127\.0\.0\.1:\d+\/cluster with HTTP 404/);
    assert.match(notPatroni.err, /Check that the URL is a Patroni REST API/);
  });

  it('a switchover drill under synchronous_mode: a write gap over 0 and under 30 s, no lost write, a new leader on a new timeline', async () => {
    const r = await cli([
      ...cluster.drillArgs('switchover'),
      '--duration',
      '6',
      '--event-at',
      '2',
      '--keep-rows',
      '--out',
      dir,
      '--yes',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out) as DrillJson;
    drillReports.push(d.report);
    assert.ok(d.downtimeMs !== null && d.downtimeMs > 0 && d.downtimeMs < 30_000, `gap ${d.downtimeMs}`);
    assert.equal(d.lostWrites, 0);
    assert.notEqual(d.newLeader, d.oldLeader);
    assert.equal(d.newLeader, await cluster.waitForLeader(5000));
    assert.ok(d.timelineAfter! > d.timelineBefore!, `timeline ${d.timelineBefore} → ${d.timelineAfter}`);
    assert.ok(d.acknowledgedWrites > 20, `${d.acknowledgedWrites} acknowledged`);
    assert.equal(await rowsOf(d.runId), d.acknowledgedWrites - d.lostWrites + d.inDoubt.present);
    const report = readReport(d.report);
    const block = report.pgops!.drill!;
    assert.equal(block.writeGapMs, d.downtimeMs);
    assert.ok(block.series.some((p) => p.ok > 0) && block.series.length > 40);
    assert.equal(block.membersBefore.length, 3);
    assert.ok(fs.existsSync(htmlSiblingOf(d.report)), 'the HTML beside the report');
    await cluster.waitForRunning(3, 60_000);
    await cluster.waitForSyncStandby(30_000);
  });

  it('a failover drill that SIGKILLs the leader node (Patroni and postmaster) needs the typed scope name, then reports the gap and lost count', async () => {
    const args = cluster.drillArgs('failover');
    const refused = await cli([...args, '--kill', 'node', '--yes']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--scope/);
    const wrong = await cli([...args, '--kill', 'node', '--scope', 'not-it', '--yes']);
    assert.equal(wrong.code, 2);
    const before = await cluster.waitForLeader(5000);
    const r = await cli([
      ...args,
      '--kill',
      'node',
      '--scope',
      cluster.scope,
      '--duration',
      '5',
      '--event-at',
      '2',
      '--keep-rows',
      '--out',
      dir,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out) as DrillJson;
    drillReports.push(d.report);
    assert.equal(d.oldLeader, before);
    assert.ok(d.newLeader && d.newLeader !== before, `new leader ${d.newLeader}`);
    assert.ok(d.downtimeMs !== null && d.downtimeMs > 0, `gap ${d.downtimeMs}`);
    assert.match(r.err, /SIGKILL Patroni \(PID \d+\) and postmaster \(PID \d+\) on local/);
    // the count is true: what the new leader holds of this run is what was acknowledged and not lost, plus the in-doubt writes that committed
    assert.equal(await rowsOf(d.runId), d.acknowledgedWrites - d.lostWrites + d.inDoubt.present);
  });

  it('warns of a member whose Patroni is down while its key still lists it, and exits 1', async () => {
    const leader = await cluster.waitForLeader(5000);
    const victim = cluster.nodes.find(
      (n) => n.name !== leader && n.process?.exitCode === null && n.process.signalCode === null,
    )!;
    victim.process!.kill('SIGKILL');
    // Patroni keeps a member's key for ttl (10 s) after its last update: the member is listed, its API is gone
    const r = await cli(['cluster', 'status', '--patroni', cluster.restUrls, '--json']);
    assert.equal(r.code, 1, r.err);
    const s = JSON.parse(r.out) as StatusJson;
    assert.equal(s.members.find((m) => m.name === victim.name)?.reachable, false);
    assert.ok(
      s.warnings.some((w) => w.level === 'error' && w.message === `${victim.name}: its REST API does not answer`),
      JSON.stringify(s.warnings),
    );
  });

  it('compares two drills: the measures side by side, and that they differ in kind', async () => {
    assert.equal(drillReports.length, 2);
    const r = await cli(['compare', ...drillReports, '--json']);
    assert.equal(r.code, 0, r.err);
    const c = JSON.parse(r.out) as {
      measures: Array<{ name: string; a: number; b: number; change: number }>;
      summary: string[];
    };
    const gap = c.measures.find((m) => m.name === 'writeGapMs')!;
    assert.equal(gap.a, readReport(drillReports[0]).pgops!.drill!.writeGapMs);
    assert.equal(gap.b, readReport(drillReports[1]).pgops!.drill!.writeGapMs);
    assert.equal(gap.change, gap.b - gap.a);
    assert.ok(
      c.summary.some((l) => /differ in kind: switchover \(rest\) against failover \(kill-node\)/.test(l)),
      c.summary.join(' | '),
    );
    const mixed = await cli(['compare', drillReports[0]]);
    assert.equal(mixed.code, 2);
  });

  it('leaves no password or REST credential in any output or report', () => {
    const files = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const text of [...outputs, ...files]) {
      assert.ok(!text.includes(cluster.superPassword), 'the superuser password leaked');
      assert.ok(!text.includes(cluster.restPassword), 'the REST password leaked');
    }
    assert.ok(files.length >= 4, `${files.length} report files`);
  });
});

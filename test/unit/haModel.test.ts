/**
 * The HA model in plain node: Patroni's JSON as captured from Patroni 3.0.2 on this machine (GET /cluster,
 * /history), the warnings a DBA reads, and the drill's measures from a writer log written out by hand.
 * The cluster itself is exercised in test/integration/haCluster.test.ts.
 */
import * as assert from 'node:assert/strict';
import { switchoverCandidates } from '../../src/core/ha/actions';
import type { ClusterState } from '../../src/core/ha/cluster';
import { parseClusterJson, parseHistory } from '../../src/core/ha/cluster';
import { clusterWarnings } from '../../src/core/ha/clusterHealth';
import { measureDrill } from '../../src/core/ha/drillMeasure';
import { parsePatroniUrls } from '../../src/core/ha/patroniRest';
import { drillTableSql, errorClass } from '../../src/core/ha/probeWriter';
import { PgOpsError } from '../../src/core/errors';
import { parseProfiles } from '../../src/core/conn/profile';
import { memberProfile } from '../../src/core/ha/memberProfile';
import { parsePatroniCredentials } from '../../src/core/ha/profileEndpoint';

const clusterBody = {
  members: [
    {
      name: 'node1',
      role: 'leader',
      state: 'running',
      api_url: 'http://127.0.0.1:8008/patroni',
      host: '127.0.0.1',
      port: 5432,
      timeline: 2,
    },
    {
      name: 'node2',
      role: 'sync_standby',
      state: 'running',
      api_url: 'http://127.0.0.1:8009/patroni',
      host: '127.0.0.1',
      port: 5433,
      timeline: 2,
      lag: 0,
    },
    {
      name: 'node3',
      role: 'replica',
      state: 'running',
      api_url: 'http://127.0.0.1:8010/patroni',
      host: '127.0.0.1',
      port: 5434,
      timeline: 2,
      lag: 3145728,
      pending_restart: true,
      tags: { nofailover: true },
    },
  ],
  scope: 'demo',
};

function state(over: Partial<ClusterState> = {}): ClusterState {
  return {
    ...parseClusterJson(clusterBody, 'http://x/cluster'),
    config: { synchronousMode: true, maximumLagOnFailover: 1048576 },
    history: [],
    source: 'http://x',
    ...over,
  };
}

describe('HA model (Patroni REST answers, warnings, drill measures)', () => {
  it("reads /cluster: roles (3.0's master as leader), lag, pending restart and tags", () => {
    const s = parseClusterJson(
      { ...clusterBody, members: [{ ...clusterBody.members[0], role: 'master' }, ...clusterBody.members.slice(1)] },
      'u',
    );
    assert.equal(s.leader, 'node1');
    assert.equal(s.scope, 'demo');
    assert.deepEqual(
      s.members.map((m) => [m.name, m.role, m.lagBytes, m.pendingRestart, m.tags.nofailover ?? false]),
      [
        ['node1', 'leader', undefined, false, false],
        ['node2', 'sync_standby', 0, false, false],
        ['node3', 'replica', 3145728, true, true],
      ],
    );
    assert.throws(
      () => parseClusterJson({ hello: 1 }, 'http://h:1/cluster'),
      /http:\/\/h:1\/cluster did not answer like Patroni/,
    );
  });

  it('reads /history rows [timeline, lsn, reason, time, leader]', () => {
    assert.deepEqual(
      parseHistory([[1, 50331808, 'no recovery target specified', '2026-12-02T20:00:00+00:00', 'node1'], 'junk']),
      [
        {
          timeline: 1,
          lsn: 50331808,
          reason: 'no recovery target specified',
          at: '2026-12-02T20:00:00+00:00',
          newLeader: 'node1',
        },
      ],
    );
  });

  it('warns of lag over maximum_lag_on_failover, pending restart, unreachable members, a replica the leader does not stream to', () => {
    const w = clusterWarnings(state(), {
      unreachable: ['node2'],
      onLeader: new Map([['node2', { state: 'streaming', syncState: 'sync', replayLagBytes: 0, replayLagMs: 1 }]]),
    });
    const text = w.map((x) => `${x.level} ${x.message}`);
    assert.deepEqual(text, [
      'error node2: its REST API does not answer',
      'warning node3 lags 3.0 MB, above maximum_lag_on_failover (1.0 MB): Patroni will not promote it',
      'warning node3 does not stream from the leader (absent from its pg_stat_replication)',
      'warning node3 has settings pending a restart',
    ]);
  });

  it('says when synchronous_mode has no sync standby, when there is no leader, and when paused', () => {
    const noSync = state({
      members: state().members.map((m) => ({ ...m, role: m.role === 'sync_standby' ? 'replica' : m.role })),
    });
    assert.match(clusterWarnings(noSync)[0].message, /synchronous_mode is on but no member is a sync standby/);
    const headless = state({ leader: undefined, paused: true });
    const w = clusterWarnings(headless);
    assert.match(w[0].message, /No member holds the leader key/);
    assert.match(w.at(-1)!.message, /Maintenance mode/);
  });

  it('offers running replicas without nofailover as candidates, only sync standbys under synchronous_mode', () => {
    assert.deepEqual(switchoverCandidates(state()), ['node2']);
    assert.deepEqual(switchoverCandidates(state({ config: { synchronousMode: false } })), ['node2']);
    const noTag = state({
      members: state().members.map((m) => ({ ...m, tags: {} })),
      config: { synchronousMode: false },
    });
    assert.deepEqual(switchoverCandidates(noTag), ['node2', 'node3']);
  });

  it('takes http(s) URLs only, without credentials, each named when wrong', () => {
    assert.deepEqual(parsePatroniUrls('http://a:8008/, https://b:8008'), ['http://a:8008', 'https://b:8008']);
    assert.throws(
      () => parsePatroniUrls('ftp://a'),
      (e: unknown) => PgOpsError.is(e, 'patroni-url') && /"ftp:\/\/a" is not http/.test(e.message),
    );
    assert.throws(() => parsePatroniUrls('a b'), /"a b" is not a URL/);
    assert.throws(() => parsePatroniUrls(' , '), /names no URL/);
    assert.throws(
      () => parsePatroniUrls('http://u:secret@a:1'),
      (e: unknown) => e instanceof Error && !e.message.includes('secret'),
    );
  });

  it("classes a failure by SQLSTATE, then the socket's code, then pgops' code", () => {
    assert.equal(errorClass(Object.assign(new Error('x'), { code: '57P01' })), '57P01');
    assert.equal(
      errorClass(
        new PgOpsError('conn-refused', 'm', undefined, {
          cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }),
        }),
      ),
      'ECONNREFUSED',
    );
    assert.equal(errorClass(new PgOpsError('conn-failed', 'm')), 'conn-failed');
    assert.equal(errorClass(new Error('Connection terminated unexpectedly')), 'connection-lost');
  });

  it('quotes the drill table in every statement', () => {
    const sql = drillTableSql({ schema: 'my"schema', name: 'drill; DROP TABLE x' });
    for (const text of Object.values(sql)) assert.ok(text.includes('"my""schema"."drill; DROP TABLE x"'), text);
  });

  it('measures the gap, the reconnection, lost and in-doubt writes, and a 100 ms series from a writer log', () => {
    const log = {
      writes: [
        { seq: 1, sentMs: 0, ackMs: 5 },
        { seq: 2, sentMs: 100, ackMs: 104 },
        { seq: 3, sentMs: 200, ackMs: 203 }, // acknowledged, then lost in the failover
        { seq: 4, sentMs: 300, error: '57P01' }, // in doubt: the new leader has it
        { seq: 5, sentMs: 900, error: '25006' }, // in doubt: absent
        { seq: 6, sentMs: 1200, ackMs: 1210 },
        { seq: 7, sentMs: 1300, ackMs: 1302 },
      ],
      connects: [
        { atMs: 0, doneMs: 0, ok: true },
        { atMs: 400, doneMs: 402, ok: false, error: 'ECONNREFUSED' },
        { atMs: 500, doneMs: 900, ok: true },
        { atMs: 1000, doneMs: 1100, ok: true },
      ],
      firstErrors: {},
    };
    const m = measureDrill(log, new Set([1, 2, 4, 6, 7]), 250);
    assert.equal(m.attempted, 7);
    assert.equal(m.acknowledged, 5);
    assert.equal(m.lost, 1);
    assert.deepEqual(m.lostSeqs, [3]);
    assert.deepEqual(m.inDoubt, { present: 1, absent: 1 });
    assert.equal(m.writeGapMs, 1210 - 203);
    assert.equal(m.gapFromMs, 203);
    assert.equal(m.reconnectMs, 900 - 300);
    assert.equal(m.failedConnects, 1);
    assert.deepEqual(m.errorClasses, { '57P01': 1, '25006': 1, ECONNREFUSED: 1 });
    assert.equal(m.series.length, 14);
    assert.deepEqual(m.series[3], { tMs: 300, ok: 0, failed: 1 });
    assert.deepEqual(m.series[12], { tMs: 1200, ok: 1, failed: 0 });
  });

  it('reads a profile\'s "patroni" entry and names what is wrong with it, never accepting credentials in a URL', () => {
    const [p] = parseProfiles([
      { name: 'ha', conninfo: 'host=a,b', patroni: { urls: ['http://a:8008/'], cafile: '~/ca.pem' } },
    ]);
    assert.deepEqual(p.patroni, { urls: ['http://a:8008'], cafile: '~/ca.pem' });
    assert.throws(
      () => parseProfiles([{ name: 'x', patroni: ['http://a:8008'] }]),
      /pgops.connections\[0\] \("x"\): "patroni" must be an object/,
    );
    assert.throws(() => parseProfiles([{ name: 'x', patroni: { urls: 'http://a' } }]), /"patroni.urls" must be a list/);
    assert.throws(
      () => parseProfiles([{ name: 'x', patroni: { urls: ['http://admin:pw@a:8008'] } }]),
      (e: unknown) => e instanceof Error && /carries credentials/.test(e.message) && !e.message.includes('pw@'),
    );
    assert.throws(
      () => parseProfiles([{ name: 'x', patroni: { urls: ['http://a'], keyfile: '' } }]),
      /"patroni.keyfile" must be the path/,
    );
  });

  it('keeps the REST credentials as JSON in Secret Storage and reads nothing else as credentials', () => {
    assert.deepEqual(parsePatroniCredentials('{"username":"patroni","password":"s3"}'), {
      username: 'patroni',
      password: 's3',
    });
    assert.equal(parsePatroniCredentials('not json'), undefined);
    assert.equal(parsePatroniCredentials('{"username":"u"}'), undefined);
    assert.equal(parsePatroniCredentials(undefined), undefined);
  });

  it("makes a member's profile: that host and port only, no target_session_attrs, the profile's other keywords kept", () => {
    const next = memberProfile(
      {
        id: 'x',
        name: 'prod',
        conninfo:
          'postgresql://app@h1:5432,h2:5433/shop?target_session_attrs=read-write&sslmode=verify-full&load_balance_hosts=random',
        production: true,
      },
      { name: 'node2', host: '10.0.0.2', port: 5433 },
    );
    assert.equal(next.name, 'prod · node2');
    assert.equal(next.production, true);
    const kw = Object.fromEntries(
      next.conninfo!.split(' ').map((x): [string, string] => [x.split('=')[0], x.split('=')[1]]),
    );
    assert.deepEqual(kw, { user: 'app', dbname: 'shop', sslmode: 'verify-full', host: '10.0.0.2', port: '5433' });
  });
});

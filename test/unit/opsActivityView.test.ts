/**
 * The pure parts behind the Activity view and panel: the wait history the chart draws, which sessions make the
 * view read the progress views, the refusals of EXPLAIN on a session's statement, the blocking tree in words,
 * and the panel's state (checked by the same guard the page runs).
 */
import * as assert from 'node:assert/strict';
import type { ActivitySession, ActivitySnapshot } from '../../src/core/ops/activity';
import { defaultActivityThresholds } from '../../src/core/ops/activity';
import { sessionExplainRefusal, statementText } from '../../src/core/ops/activityExplain';
import { blockingNodeLine, blockingNodeParts, blockingTree } from '../../src/core/ops/blocking';
import { runsMaintenance } from '../../src/core/ops/progress';
import { signalTargetText } from '../../src/core/ops/signal';
import { searchPathFor } from '../../src/core/diag/explain';
import { activeByWaitType, WaitHistory } from '../../src/core/ops/waitHistory';
import { activityPanelState } from '../../src/extension/panels/activityPanelState';
import { activitySession as session } from '../support/activitySession';
import { isActivityToHost, isHostToActivity } from '../../src/protocol/activity';

describe('activity view: the wait history the panel charts', () => {
  it('counts active sessions by wait type, CPU for those waiting for nothing, leaving out idle ones and our own', () => {
    assert.deepEqual(
      activeByWaitType([
        session(1),
        session(2, { waitEventType: 'Lock', waitEvent: 'transactionid' }),
        session(3, { waitEventType: 'Lock', waitEvent: 'relation' }),
        session(4, { waitEventType: 'IO', waitEvent: 'DataFileRead' }),
        session(5, { state: 'idle in transaction', waitEventType: 'Client', waitEvent: 'ClientRead' }),
        session(6, { state: 'idle', waitEventType: 'Client' }),
        session(7, { isOwn: true }),
      ]),
      { CPU: 1, Lock: 2, IO: 1 },
    );
  });

  it('keeps the points of its window only, and orders the types by how often they were seen', () => {
    const h = new WaitHistory(10_000);
    h.add(1_000, [session(1, { waitEventType: 'IO' })]);
    h.add(5_000, [session(1), session(2, { waitEventType: 'Lock' }), session(3, { waitEventType: 'Lock' })]);
    h.add(12_000, [session(1, { waitEventType: 'Lock' })]);
    assert.deepEqual(
      h.points().map((p) => p.at),
      [5_000, 12_000],
      'the point at 1 s fell out of the 10 s window',
    );
    assert.deepEqual(h.types(), ['Lock', 'CPU']);
  });

  it('starts again when the clock steps back rather than drawing time backwards', () => {
    const h = new WaitHistory(60_000);
    h.add(50_000, [session(1)]);
    h.add(40_000, [session(1)]);
    assert.deepEqual(
      h.points().map((p) => p.at),
      [40_000],
    );
  });
});

describe('activity view: when the progress views are read', () => {
  it('reads them for autovacuum workers and for sessions running maintenance statements, not for others', () => {
    const yes = [
      { backendType: 'autovacuum worker', state: 'active', query: 'autovacuum: VACUUM public.t' },
      { backendType: 'client backend', state: 'active', query: 'VACUUM (VERBOSE) big' },
      { backendType: 'client backend', state: 'active', query: '  create unique index concurrently i on t (a)' },
      { backendType: 'client backend', state: 'active', query: 'REINDEX INDEX CONCURRENTLY i' },
      { backendType: 'client backend', state: 'active', query: 'analyze t' },
      { backendType: 'client backend', state: 'active', query: 'CLUSTER t USING i' },
      { backendType: 'walsender', state: 'active', query: 'BASE_BACKUP ( LABEL x )' },
    ];
    for (const s of yes) assert.ok(runsMaintenance(s), s.query);
    const no = [
      { backendType: 'client backend', state: 'idle', query: 'VACUUM t' },
      { backendType: 'client backend', state: 'active', query: 'SELECT vacuum_count FROM pg_stat_user_tables' },
      { backendType: 'client backend', state: 'active', query: 'CREATE TABLE analyze_me (a int)' },
      { backendType: 'client backend', state: 'active', query: null },
    ];
    for (const s of no) assert.ok(!runsMaintenance(s), String(s.query));
  });
});

describe("activity view: EXPLAIN of a session's statement", () => {
  it('strips leading comments and one trailing semicolon', () => {
    assert.equal(statementText('/* app:api */ -- trace\n  SELECT 1 ;  '), 'SELECT 1');
    assert.equal(statementText("SELECT ';'"), "SELECT ';'");
  });

  it('refuses, naming the pid and what to do: hidden text, several statements, a kind EXPLAIN does not take', () => {
    const r = (query: string | null) => sessionExplainRefusal(180000, 'shop', { pid: 42, query, database: 'shop' });
    assert.match(r(null)?.message ?? '', /PID 42 is not visible/);
    assert.match(r('<insufficient privilege>')?.hint ?? '', /pg_read_all_stats/);
    assert.match(r('SELECT 1; DROP TABLE t')?.message ?? '', /may be more than one statement/);
    assert.match(r('VACUUM t')?.message ?? '', /PID 42 runs "VACUUM", which EXPLAIN does not take/);
    assert.match(r('ANALYZE DELETE FROM t')?.message ?? '', /runs "ANALYZE"/, 'a planted EXPLAIN ANALYZE is refused');
    assert.equal(r('WITH x AS (SELECT 1) SELECT * FROM x;'), undefined);
    assert.equal(r('(SELECT 1)'), undefined);
  });

  it('refuses a statement of another database, and $n parameters before 16', () => {
    const other = sessionExplainRefusal(180000, 'shop', { pid: 7, query: 'SELECT 1', database: 'crm' });
    assert.equal(other?.code, 'explain-database');
    assert.match(other?.hint ?? '', /Connect a profile to "crm"/);
    const s = { pid: 7, query: 'SELECT * FROM t WHERE id = $1', database: 'shop' };
    assert.equal(sessionExplainRefusal(150000, 'shop', s)?.code, 'explain-version');
    assert.equal(sessionExplainRefusal(160000, 'shop', s), undefined);
    assert.equal(sessionExplainRefusal(130000, 'shop', { ...s, query: 'SELECT * FROM t WHERE id = 1' }), undefined);
  });
});

describe('activity view: the blocking tree and signal targets in words', () => {
  const a = session(10, { state: 'idle in transaction', xactAgeS: 90, query: 'UPDATE t SET v = 1 WHERE id = 1' });
  const b = session(11, {
    blockedBy: [10],
    waitEventType: 'Lock',
    waitEvent: 'transactionid',
    stateAgeS: 12,
    waitingFor: {
      locktype: 'transactionid',
      mode: 'ShareLock',
      relation: null,
      relationOid: null,
      transactionId: '741',
    },
  });

  it('says who a node is and what it waits for, or what it holds', () => {
    const [root] = blockingTree([a, b]);
    assert.deepEqual(blockingNodeParts(root), {
      who: '10 app@shop [api]',
      what: 'idle in transaction, transaction 1 min 30 s: UPDATE t SET v = 1 WHERE id = 1',
    });
    assert.equal(
      blockingNodeLine(root.children[0]),
      '11 app@shop [api] waits 12.0 s for Lock/transactionid: ShareLock on transaction 741: SELECT 1',
    );
    assert.equal(
      blockingNodeLine({ pid: 0, session: null, children: [], alsoBlockedBy: [], repeated: false }),
      '0 (a prepared transaction)',
    );
  });

  it('names a signal target by pid, role, application and state, with its statement on one line', () => {
    assert.deepEqual(
      signalTargetText({
        pid: 5,
        user: 'alice',
        application: 'psql',
        backendType: 'client backend',
        state: 'active',
        query: 'SELECT\n  pg_sleep(60)',
      }),
      { who: 'PID 5 (alice, psql, active)', statement: 'SELECT pg_sleep(60)' },
    );
  });
});

describe('activity view: the panel state', () => {
  const snapshot = (sessions: ActivitySession[]): ActivitySnapshot => ({
    sessions,
    ownPid: 1,
    idleInTransactionSessionTimeoutMs: 0,
    transactionTimeoutMs: null,
    readAt: '2026-12-02T06:00:00.000Z',
  });

  it('puts blocking and blocked sessions first, then flagged ones, leaves our own out, and passes the page guard', () => {
    const history = new WaitHistory();
    const sessions = [
      session(20, { xactAgeS: 10 }),
      session(21, { state: 'idle in transaction', stateAgeS: 4000, xactAgeS: 4000 }),
      session(22, { blockedBy: [23], waitEventType: 'Lock', waitEvent: 'relation' }),
      session(23, { query: 'LOCK TABLE t' }),
      session(1, { isOwn: true }),
    ];
    history.add(Date.parse('2026-12-02T06:00:00Z'), sessions);
    const state = activityPanelState({
      title: 'Activity: test',
      snapshot: snapshot(sessions),
      tree: blockingTree(sessions),
      history,
      thresholds: defaultActivityThresholds,
      refreshSeconds: 2,
    });
    assert.deepEqual(
      state.sessions.map((r) => [r.pid, r.flags.join('+')]),
      [
        [22, 'blocked'],
        [23, 'blocking'],
        [21, 'long-transaction+idle-in-transaction'],
        [20, ''],
      ],
    );
    assert.deepEqual(
      state.blocking.map((l) => l.depth),
      [0, 1],
    );
    assert.match(state.note, /refreshed every 2 s while shown .* idle_in_transaction_session_timeout off$/);
    assert.deepEqual(state.points[0].counts, { CPU: 2, Lock: 1 });
    const message = structuredClone({ type: 'state', state });
    assert.ok(isHostToActivity(message));
    assert.ok(!isHostToActivity({ type: 'state', state: { ...state, sessions: [{ pid: 'x' }] } }));
    assert.ok(isActivityToHost({ type: 'ready' }));
    assert.ok(!isActivityToHost({ type: 'ready', extra: 1 }));
  });
});

describe("activity view: the search_path an EXPLAIN takes for the statement's role", () => {
  it('writes $user as the role, keeps the other schemas, and drops $user when there is no role', () => {
    assert.equal(searchPathFor('"$user", public', 'app'), '"app", public');
    assert.equal(searchPathFor('"$user",public, "Sales"', 'Mixed Case'), '"Mixed Case", public, "Sales"');
    assert.equal(searchPathFor('$user, public', null), 'public');
    assert.equal(searchPathFor('', 'app'), '');
  });
});

import * as assert from 'node:assert/strict';
import type { ActivitySession } from '../../src/core/ops/activity';
import {
  activitySql,
  formatAge,
  groupSessions,
  gucDurationMs,
  sessionFlags,
  waitLabel,
} from '../../src/core/ops/activity';
import type { BlockingNode } from '../../src/core/ops/blocking';
import { blockingTree, flattenBlockingTree, waitingUnder } from '../../src/core/ops/blocking';
import { isBackendPid } from '../../src/core/ops/signal';
import { activitySession as session } from '../support/activitySession';

const waiting = (pid: number, blockedBy: number[]) =>
  session(pid, { blockedBy, waitEventType: 'Lock', waitEvent: 'relation' });

/** The tree as `pid(children…)`, `~pid` for a cycle leaf: short enough to compare whole. */
function shape(nodes: BlockingNode[]): string {
  return nodes
    .map((n) => `${n.repeated ? '~' : ''}${n.pid}${n.children.length ? `(${shape(n.children)})` : ''}`)
    .join(' ');
}

describe('activity: grouping sessions (the Activity view)', () => {
  const sessions = [
    session(1, { state: 'active', waitEventType: 'Lock', database: 'shop', application: 'api' }),
    session(2, { state: 'idle in transaction', waitEventType: 'Client', database: 'shop', application: '' }),
    session(3, { state: 'active', database: 'crm', application: 'batch' }),
    session(4, { state: 'active', waitEventType: 'IO', database: null, backendType: 'autovacuum worker' }),
    session(5, { state: null, waitEventType: null, database: null, application: '' }),
  ];

  it('groups by state, largest group first, keeping the sessions in order', () => {
    assert.deepEqual(
      groupSessions(sessions, 'state').map((g) => [g.key, g.sessions.map((s) => s.pid)]),
      [
        ['active', [1, 3, 4]],
        ['(no state)', [5]],
        ['idle in transaction', [2]],
      ],
    );
  });

  it('groups by database and application, naming the missing ones', () => {
    assert.deepEqual(
      groupSessions(sessions, 'database').map((g) => [g.key, g.sessions.length]),
      [
        ['(no database)', 2],
        ['shop', 2],
        ['crm', 1],
      ],
    );
    assert.deepEqual(
      groupSessions(sessions, 'application').map((g) => [g.key, g.sessions.map((s) => s.pid)]),
      [
        ['(no application name)', [2, 5]],
        ['api', [1, 4]],
        ['batch', [3]],
      ],
    );
  });

  it('groups by wait type: an active session that waits for nothing is on the CPU', () => {
    assert.deepEqual(
      groupSessions(sessions, 'wait').map((g) => [g.key, g.sessions.map((s) => s.pid)]),
      [
        ['(no wait)', [5]],
        ['Client', [2]],
        ['CPU', [3]],
        ['IO', [4]],
        ['Lock', [1]],
      ],
    );
  });
});

describe('activity: flags against thresholds', () => {
  const t = { longTransactionS: 300, idleInTransactionS: 60 };

  it('flags a transaction open longer than the threshold, in any state, and not one just under it', () => {
    assert.deepEqual(sessionFlags(session(1, { xactAgeS: 300 }), t), ['long-transaction']);
    assert.deepEqual(sessionFlags(session(1, { xactAgeS: 299.9 }), t), []);
    assert.deepEqual(sessionFlags(session(1, { xactAgeS: null }), t), []);
  });

  it('flags idle in transaction (aborted too) by the time in that state, not by the transaction age', () => {
    const idle = (state: string, stateAgeS: number) => session(1, { state, stateAgeS, xactAgeS: stateAgeS + 1 });
    assert.deepEqual(sessionFlags(idle('idle in transaction', 61), t), ['idle-in-transaction']);
    assert.deepEqual(sessionFlags(idle('idle in transaction (aborted)', 60), t), ['idle-in-transaction']);
    assert.deepEqual(sessionFlags(idle('idle in transaction', 59), t), []);
    assert.deepEqual(sessionFlags(idle('idle', 1000), t), ['long-transaction']);
    assert.deepEqual(sessionFlags(idle('idle in transaction', 400), t), ['long-transaction', 'idle-in-transaction']);
  });

  it('reads time settings as current_setting shows them', () => {
    assert.equal(gucDurationMs('0'), 0);
    assert.equal(gucDurationMs('250ms'), 250);
    assert.equal(gucDurationMs('10s'), 10_000);
    assert.equal(gucDurationMs('5min'), 300_000);
    assert.equal(gucDurationMs('1h'), 3_600_000);
    assert.equal(gucDurationMs('2d'), 172_800_000);
    assert.equal(gucDurationMs('1500'), 1500);
    assert.equal(gucDurationMs(null), null);
    assert.equal(gucDurationMs('soon'), null);
  });
});

describe('activity: the blocking tree', () => {
  it('is empty when nobody waits', () => {
    assert.deepEqual(blockingTree([session(1), session(2)]), []);
  });

  it('puts a chain A ← B ← C under its head, and leaves out sessions that neither block nor wait', () => {
    const tree = blockingTree([session(30), waiting(20, [30]), waiting(10, [20]), session(40)]);
    assert.equal(shape(tree), '30(20(10))');
    assert.equal(tree[0].session?.pid, 30);
    assert.equal(waitingUnder(tree[0]), 2);
    assert.deepEqual(
      flattenBlockingTree(tree).map((x) => [x.node.pid, x.depth]),
      [
        [30, 0],
        [20, 1],
        [10, 2],
      ],
    );
  });

  it('shows a session queued behind several blockers once, under the deepest, naming the others', () => {
    // a lock queue: 2 holds the lock, 3 waits for it, 4 waits behind both, 5 behind all three
    const tree = blockingTree([session(2), waiting(3, [2]), waiting(4, [2, 3]), waiting(5, [4, 2, 3])]);
    assert.equal(shape(tree), '2(3(4(5)))');
    const flat = flattenBlockingTree(tree);
    assert.deepEqual(flat.find((x) => x.node.pid === 5)?.node.alsoBlockedBy, [2, 3]);
    assert.deepEqual(flat.find((x) => x.node.pid === 3)?.node.alsoBlockedBy, []);
  });

  it('stays linear in size for a long queue where each session waits behind all earlier ones', () => {
    const queue = [session(1)];
    for (let pid = 2; pid <= 200; pid++)
      queue.push(
        waiting(
          pid,
          queue.map((s) => s.pid),
        ),
      );
    const flat = flattenBlockingTree(blockingTree(queue));
    assert.equal(flat.length, 200);
    assert.equal(flat[199].depth, 199);
  });

  it('orders roots by how many sessions wait under them, and keeps two separate trees apart', () => {
    const tree = blockingTree([session(1), waiting(2, [1]), session(7), waiting(8, [7]), waiting(9, [7])]);
    assert.equal(shape(tree), '7(8 9) 1(2)');
  });

  it('shows a blocker that is not in the list (a prepared transaction is pid 0) as a root without a session', () => {
    const tree = blockingTree([waiting(5, [0]), waiting(6, [5, 99])]);
    assert.equal(shape(tree), '0(5(6)) 99(~6)');
    assert.equal(tree[0].session, null);
    assert.deepEqual(flattenBlockingTree(tree)[2].node.alsoBlockedBy, [99]);
  });

  it('roots a lock cycle at its lowest pid and marks the pid that closes it, with the sessions hanging from it', () => {
    const tree = blockingTree([waiting(11, [12]), waiting(12, [13]), waiting(13, [11]), waiting(14, [12])]);
    assert.equal(shape(tree), '11(13(12(~11 14)))');
    const flat = flattenBlockingTree(tree);
    assert.equal(flat.length, 5);
    assert.equal(waitingUnder(tree[0]), 3);
  });

  it('keeps two holders of a shared lock as roots: the second lists the waiting session as a repeated leaf', () => {
    const tree = blockingTree([session(1), session(2), waiting(3, [2, 1])]);
    assert.equal(shape(tree), '1(3) 2(~3)');
    assert.deepEqual(tree[0].children[0].alsoBlockedBy, [2]);
    assert.equal(waitingUnder(tree[1]), 1);
  });

  it('counts a two-session cycle once under its root', () => {
    const tree = blockingTree([waiting(11, [12]), waiting(12, [11])]);
    assert.equal(shape(tree), '11(12(~11))');
    assert.equal(waitingUnder(tree[0]), 1);
  });

  it('ignores a session listed as its own blocker', () => {
    assert.deepEqual(blockingTree([waiting(3, [3])]), []);
  });
});

describe('activity: ages and waits in words', () => {
  it('writes ages in the unit that reads best', () => {
    assert.equal(formatAge(null), '');
    assert.equal(formatAge(-0.2), '0.0 s');
    assert.equal(formatAge(3.25), '3.3 s');
    assert.equal(formatAge(65), '1 min 05 s');
    assert.equal(formatAge(7980), '2 h 13 min');
    assert.equal(formatAge(3 * 86_400 + 4 * 3600 + 59), '3 d 4 h');
  });

  it('names the lock a session waits for: the relation, else the transaction, else the lock type', () => {
    const lock = { locktype: 'relation', mode: 'AccessExclusiveLock', relationOid: 16384, transactionId: null };
    const s = (waitingFor: ActivitySession['waitingFor']) =>
      session(1, { waitEventType: 'Lock', waitEvent: waitingFor?.locktype ?? 'relation', waitingFor });
    assert.equal(waitLabel(s({ ...lock, relation: 'public.t' })), 'Lock/relation: AccessExclusiveLock on public.t');
    assert.equal(
      waitLabel(s({ ...lock, relation: null })),
      'Lock/relation: AccessExclusiveLock on relation oid 16384 (another database)',
    );
    assert.equal(
      waitLabel(
        s({ locktype: 'transactionid', mode: 'ShareLock', relation: null, relationOid: null, transactionId: '771' }),
      ),
      'Lock/transactionid: ShareLock on transaction 771',
    );
    assert.equal(waitLabel(session(2, { waitEventType: 'IO', waitEvent: 'DataFileRead' })), 'IO/DataFileRead');
    assert.equal(waitLabel(session(3)), '');
  });
});

describe('activity: the query and the pids it may signal', () => {
  it('reads query_id only from 14 on, and calls every function through pg_catalog', () => {
    assert.match(activitySql(140000), /a\.query_id::text AS query_id/);
    assert.match(activitySql(130000), /NULL::text AS query_id/);
    assert.doesNotMatch(activitySql(130000), /a\.query_id/);
    const calls = [...activitySql(180000).matchAll(/([\w.]+)\(/g)].map((m) => m[1]);
    const bare = calls.filter((c) => !c.startsWith('pg_catalog.') && !['IN', 'JOIN', 'OR'].includes(c));
    assert.deepEqual(bare, []);
  });

  it('accepts a positive int4 as a pid and nothing else', () => {
    for (const ok of [1, 4242, 2 ** 31 - 1]) assert.equal(isBackendPid(ok), true, String(ok));
    for (const bad of [0, -1, 1.5, 2 ** 31, NaN]) assert.equal(isBackendPid(bad), false, String(bad));
  });
});

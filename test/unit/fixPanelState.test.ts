import * as assert from 'node:assert/strict';
import { fixPlan } from '../../src/core/fix/plan';
import type { PreparedFix } from '../../src/core/fix/prepare';
import { checklist } from '../../src/core/fix/preflight';
import type { FixOutcome } from '../../src/core/fix/run';
import type { FixObject } from '../../src/core/fix/target';
import { checkedState, finishedState, fixWhat, withEvent } from '../../src/extension/panels/fixPanelState';
import type { FixPanelState } from '../../src/protocol/fix';
import { isFixToHost, isHostToFix } from '../../src/protocol/fix';

const object: FixObject = {
  kind: 'table',
  oid: 1,
  schema: 'public',
  name: 't',
  table: { oid: 1, schema: 'public', name: 't', relkind: 'r' },
  tableBytes: 8192 * 100,
  indexesBytes: 8192 * 10,
  indexBytes: null,
  indexes: [],
  tablespace: { name: 'pg_default', location: '' },
  ownedByUs: true,
};

function prepared(status: 'ok' | 'warn' | 'fail', action: 'vacuum' | 'repack' = 'vacuum'): PreparedFix {
  return {
    object,
    plan: fixPlan(object, { action, waitTimeoutS: 60, lockTimeoutS: 10 }, { database: 'app' }),
    checklist: checklist([{ id: 'disk', title: 'Free disk space', status, detail: 'd' }]),
  };
}

const outcome = (status: FixOutcome['status'], leftovers: FixOutcome['leftovers'] = []): FixOutcome => ({
  status,
  message: `${status} message`,
  ran: 'VACUUM',
  startedAt: '2026-12-02T00:00:00.000Z',
  durationMs: 1500,
  before: { tableBytes: 819200, indexesBytes: 81920, indexBytes: null },
  after: status === 'done' ? { tableBytes: 409600, indexesBytes: 81920, indexBytes: null } : null,
  bloatBefore: { method: 'estimate', bloatPct: 50, wastedBytes: 409600 },
  bloatAfter: status === 'done' ? { method: 'pgstattuple_approx', bloatPct: 2, wastedBytes: 8192 } : null,
  locks: { fixWaitedS: 0, blockers: [], waiters: 0, longestWaiterS: 0 },
  leftovers,
  output: [],
});

describe('Fix panel state', () => {
  it('offers Run only when no check failed, and asks for a go on warnings', () => {
    assert.equal(checkedState(prepared('ok'), 'p').runLabel, 'Run…');
    assert.equal(checkedState(prepared('warn'), 'p').runLabel, 'Run Despite Warnings…');
    assert.equal(checkedState(prepared('fail'), 'p').runLabel, null);
    const s = checkedState(prepared('ok'), 'prod');
    assert.equal(s.title, 'VACUUM (VERBOSE, ANALYZE) "public"."t" on prod');
    assert.equal(
      s.command,
      `SET lock_timeout = '10s';\nSET statement_timeout = '0';\nVACUUM (VERBOSE, ANALYZE) "public"."t";`,
    );
    assert.ok(isHostToFix({ type: 'state', state: s }), 'the state passes the webview guard');
    assert.equal(fixWhat(prepared('ok', 'repack')), 'pg_repack --table="public"."t"');
  });

  it('follows the events of a run and ends with the summary and the cleanup of leftovers', () => {
    let s: FixPanelState = { ...checkedState(prepared('ok'), 'p'), stage: 'running' };
    s = withEvent(s, { type: 'started', pid: 42, what: 'session' });
    s = withEvent(s, { type: 'progress', phase: 'scanning heap', percent: 40, detail: 'VACUUM: 40 of 100 blocks' });
    s = withEvent(s, {
      type: 'locks',
      waitsFor: [
        {
          pid: 7,
          user: 'app',
          application: 'api',
          state: 'idle in transaction',
          ageS: 75,
          query: 'UPDATE t',
          lock: null,
        },
      ],
      waitedBy: [
        {
          pid: 8,
          user: 'app',
          application: null,
          state: 'active',
          ageS: 2,
          query: 'SELECT 1',
          lock: 'AccessShareLock on public.t',
        },
      ],
    });
    assert.deepEqual(s.progress, { phase: 'scanning heap', percent: 40, detail: 'VACUUM: 40 of 100 blocks' });
    assert.deepEqual(s.locks, [
      'the fix waits for pid 7 (app, api), idle in transaction, 1 min 15 s: UPDATE t',
      'waits for the fix: pid 8 (app), active, 2.0 s, AccessShareLock on public.t: SELECT 1',
    ]);
    assert.deepEqual(s.output, ['the fix runs in backend 42']);
    const done = finishedState(s, outcome('done'), 10);
    assert.equal(done.stage, 'finished');
    assert.deepEqual(done.progress, { phase: 'done', percent: 100, detail: 'done message' });
    assert.match(done.summary?.[1] ?? '', /^before: table 800\.0 kB/);
    assert.match(
      done.summary?.[2] ?? '',
      /^after: {2}table 400\.0 kB.*bloat 2% \(8\.0 kB wasted, pgstattuple_approx\)/,
    );
    assert.equal(done.cleanup, null);
    const killed = finishedState(
      s,
      outcome('failed', [
        {
          kind: 'repack trigger',
          tableOid: 1,
          table: '"public"."t"',
          object: 'repack_trigger on "public"."t"',
          bytes: 0,
          origin: 'o',
          cleanup: 'DROP TRIGGER IF EXISTS repack_trigger ON "public"."t";',
          transactional: true,
          inUseBy: null,
        },
      ]),
      10,
    );
    assert.equal(
      killed.cleanup,
      `SET lock_timeout = '10s';\nBEGIN;\nDROP TRIGGER IF EXISTS repack_trigger ON "public"."t";\nCOMMIT;`,
    );
    assert.match(killed.leftovers[0], /^1 leftover of an interrupted fix:/);
    assert.ok(isHostToFix({ type: 'state', state: killed }));
  });

  it('takes only the bare button messages from the page', () => {
    for (const type of ['ready', 'run', 'cancel', 'cleanup', 'save', 'activity', 'openCommand'])
      assert.ok(isFixToHost({ type }));
    assert.equal(isFixToHost({ type: 'run', sql: 'DROP TABLE t' }), false);
    assert.equal(isFixToHost({ type: 'exec' }), false);
    assert.equal(isHostToFix({ type: 'state', state: { title: 1 } }), false);
  });
});

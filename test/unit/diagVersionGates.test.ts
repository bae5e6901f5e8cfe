import * as assert from 'node:assert/strict';
import { pgoutputProtocolsFor, requirePgoutputOptions } from '../../src/core/diag/pgoutputProtocols';
import { genericPlanRefusal } from '../../src/core/diag/statements';
import { PgOpsError } from '../../src/core/errors';

describe('pgoutput protocols by server version: one answer for the peek and the UI', () => {
  const offered = (v: number) => pgoutputProtocolsFor(v).map((p) => p.opts.protoVersion);

  it('offers protocol 1 on 13, adds 2 on 14, 3 on 15 and 4 on 16 and later', () => {
    assert.deepEqual(offered(130012), [1]);
    assert.deepEqual(offered(140000), [1, 2]);
    assert.deepEqual(offered(150007), [1, 2, 3]);
    assert.deepEqual(offered(160000), [1, 2, 3, 4]);
    assert.deepEqual(offered(180001), [1, 2, 3, 4]);
  });

  it('asks for logical messages only where pgoutput has them (14+)', () => {
    assert.deepEqual(
      pgoutputProtocolsFor(130012).map((p) => p.opts.messages),
      [false],
    );
    assert.ok(pgoutputProtocolsFor(140000).every((p) => p.opts.messages === true));
  });

  it('never offers what the peek would refuse on the same server, and the peek refuses the next one up', () => {
    for (const v of [130000, 140000, 150000, 160000, 180000]) {
      for (const p of pgoutputProtocolsFor(v)) requirePgoutputOptions(v, 's', p.opts);
    }
    const p3 = pgoutputProtocolsFor(150000)[2].opts;
    assert.throws(
      () => requirePgoutputOptions(140000, 'sub1', p3),
      (err: unknown) => {
        assert.ok(PgOpsError.is(err, 'pgoutput-option-version'));
        assert.equal(
          err.message,
          'Peeking replication slot "sub1": pgoutput of PostgreSQL 14 has no two_phase (protocol 3), added in 15',
        );
        return true;
      },
    );
    assert.throws(
      () => requirePgoutputOptions(130000, 's', { protoVersion: 2, streaming: 'on', messages: true }),
      /PostgreSQL 13 has no messages, added in 14; streaming \(protocol 2\), added in 14/,
    );
  });
});

describe('EXPLAIN (GENERIC_PLAN) gate', () => {
  it('allows a single statement with text on PostgreSQL 16 and later', () => {
    assert.equal(genericPlanRefusal(160000, 'SELECT * FROM t WHERE id = $1'), undefined);
    assert.equal(genericPlanRefusal(180001, 'UPDATE t SET a = $1'), undefined);
  });

  it('says why not: the version, a missing or hidden text, or more than one statement', () => {
    assert.equal(
      genericPlanRefusal(150007, 'SELECT 1')?.message,
      'EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16 or later',
    );
    assert.equal(genericPlanRefusal(170000, null)?.message, 'The query text is not available');
    assert.equal(genericPlanRefusal(170000, '<insufficient privilege>')?.code, 'explain-no-text');
    assert.match(genericPlanRefusal(170000, 'SELECT 1; SELECT 2')?.message ?? '', /contains ";"/);
    // the version is said first: it decides for every statement
    assert.equal(genericPlanRefusal(130000, null)?.code, 'explain-version');
  });
});

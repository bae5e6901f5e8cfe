import * as assert from 'node:assert/strict';
import { PgOpsError } from '../../src/core/errors';
import {
  defaultHealthOptions,
  failedChecks,
  formatHealthValue,
  formatThreshold,
  healthCheckIds,
  healthOptions,
  statusFor,
  thresholdOf,
  worseStatus,
} from '../../src/core/ops/health';
import type { HealthOptions, HealthResult } from '../../src/core/ops/health';
import { wraparoundPct } from '../../src/core/ops/healthServer';
import { autovacuumTarget, progressPercent } from '../../src/core/ops/progress';

describe('health check status from a value and its threshold', () => {
  it('above: warn at the warn limit, fail at the fail limit, ok under both', () => {
    const t = { warn: 80, fail: 95, direction: 'above' as const };
    assert.equal(statusFor(79.9, t), 'ok');
    assert.equal(statusFor(80, t), 'warn');
    assert.equal(statusFor(94.9, t), 'warn');
    assert.equal(statusFor(95, t), 'fail');
    assert.equal(statusFor(400, t), 'fail');
  });

  it('below: a cache hit ratio under the limits is bad, at them is not', () => {
    const t = thresholdOf(defaultHealthOptions, 'cacheHitPct');
    assert.deepEqual(t, { warn: 95, fail: 85, direction: 'below' });
    assert.equal(statusFor(99.5, t), 'ok');
    assert.equal(statusFor(95, t), 'ok');
    assert.equal(statusFor(94.99, t), 'warn');
    assert.equal(statusFor(84, t), 'fail');
  });

  it('a null limit never triggers: unused indexes warn but never fail by default', () => {
    const t = thresholdOf(defaultHealthOptions, 'unusedIndexes');
    assert.equal(statusFor(0, t), 'ok');
    assert.equal(statusFor(1, t), 'warn');
    assert.equal(statusFor(10_000, t), 'warn');
  });

  it('an invalid index fails by default (warn and fail both at 1)', () => {
    assert.equal(statusFor(1, thresholdOf(defaultHealthOptions, 'invalidIndexes')), 'fail');
    assert.equal(statusFor(0, thresholdOf(defaultHealthOptions, 'invalidIndexes')), 'ok');
  });

  it('the worse of two statuses: fail over warn over unknown over ok', () => {
    assert.equal(worseStatus('ok', 'warn'), 'warn');
    assert.equal(worseStatus('fail', 'warn'), 'fail');
    assert.equal(worseStatus('unknown', 'ok'), 'unknown');
    assert.equal(worseStatus('unknown', 'warn'), 'warn');
  });

  it('--strict counts only fail', () => {
    const r = (id: HealthResult['id'], status: HealthResult['status']): HealthResult => ({
      id,
      status,
      value: null,
      unit: 'count',
      threshold: null,
      message: '',
      fix: null,
      details: [],
    });
    assert.deepEqual(
      failedChecks([r('connections', 'warn'), r('io', 'unknown'), r('archiver', 'fail')]).map((x) => x.id),
      ['archiver'],
    );
  });
});

describe('health options', () => {
  it('has a default threshold for every check, and the caller overrides single ones', () => {
    assert.equal(healthCheckIds.length, 15);
    const o = healthOptions({ wraparoundPct: { warn: 50, fail: null } });
    assert.deepEqual(o.wraparoundPct, { warn: 50, fail: null });
    assert.deepEqual(o.connectionsPct, defaultHealthOptions.connectionsPct);
  });

  it('refuses a negative or non-numeric limit, naming it', () => {
    assert.throws(
      () => healthOptions({ longTransactionS: { warn: -1, fail: 10 } }),
      (err: unknown) => PgOpsError.is(err, 'health-option') && /longTransactionS\.warn/.test(err.message),
    );
    assert.throws(
      () => healthOptions({ deadlocks: { warn: Number.NaN, fail: null } }),
      /deadlocks\.warn must be a non-negative number or null, got NaN/,
    );
    assert.throws(() => healthOptions({ detailRows: 0 }), /detailRows must be a positive integer/);
    assert.throws(
      () => healthOptions({ tempBytes: undefined as unknown as HealthOptions['tempBytes'] }),
      /health threshold tempBytes must be \{warn, fail\}, got undefined/,
    );
  });

  it('refuses fail before warn, in the direction of each check', () => {
    assert.throws(
      () => healthOptions({ connectionsPct: { warn: 90, fail: 80 } }),
      /fail \(80\) must be at or above warn/,
    );
    assert.throws(() => healthOptions({ cacheHitPct: { warn: 90, fail: 95 } }), /fail \(95\) must be at or below warn/);
    assert.doesNotThrow(() => healthOptions({ cacheHitPct: { warn: 99, fail: 90 } }));
  });
});

describe('wraparound percentage', () => {
  it('is the worse of XID age and multixact age against their autovacuum limits', () => {
    assert.equal(wraparoundPct(100_000_000, 200_000_000, 0, 400_000_000), 50);
    assert.equal(wraparoundPct(1000, 200_000_000, 300_000_000, 400_000_000), 75);
    assert.equal(wraparoundPct(60_000, 100_000, 0, 400_000_000), 60);
  });
});

describe('health values and thresholds as text', () => {
  it('formats percent, seconds, bytes and counts', () => {
    assert.equal(formatHealthValue(83.456, 'percent'), '83.5%');
    assert.equal(formatHealthValue(45, 'seconds'), '45 s');
    assert.equal(formatHealthValue(600, 'seconds'), '10 min');
    assert.equal(formatHealthValue(3 * 3600, 'seconds'), '3 h');
    assert.equal(formatHealthValue(3 * 86400, 'seconds'), '3 d');
    assert.equal(formatHealthValue(1024 ** 3, 'bytes'), '1.0 GB');
    assert.equal(formatHealthValue(3, 'count'), '3');
    assert.equal(formatHealthValue(null, 'count'), '');
  });

  it('writes a threshold with its direction and leaves out a null limit', () => {
    assert.equal(
      formatThreshold(thresholdOf(defaultHealthOptions, 'connectionsPct'), 'percent'),
      'warn ≥ 80%, fail ≥ 95%',
    );
    assert.equal(
      formatThreshold(thresholdOf(defaultHealthOptions, 'cacheHitPct'), 'percent'),
      'warn < 95%, fail < 85%',
    );
    assert.equal(formatThreshold(thresholdOf(defaultHealthOptions, 'deadlocks'), 'count'), 'warn ≥ 1');
    assert.equal(formatThreshold(null, 'count'), '');
  });
});

describe('maintenance progress', () => {
  it('computes a percentage only when there is a total, and never over 100', () => {
    assert.equal(progressPercent(50, 200), 25);
    assert.equal(progressPercent(1, 3), 33.3);
    assert.equal(progressPercent(0, 0), null);
    assert.equal(progressPercent(null, 10), null);
    assert.equal(progressPercent(12, 10), 100);
  });

  it("reads the table from an autovacuum worker's activity text", () => {
    assert.equal(autovacuumTarget('autovacuum: VACUUM ANALYZE public.orders'), 'public.orders');
    assert.equal(
      autovacuumTarget('autovacuum: VACUUM pg_toast.pg_toast_2619 (to prevent wraparound)'),
      'pg_toast.pg_toast_2619',
    );
    assert.equal(autovacuumTarget('autovacuum: ANALYZE s.t'), 's.t');
    assert.equal(autovacuumTarget('<insufficient privilege>'), null);
    assert.equal(autovacuumTarget(null), null);
  });
});

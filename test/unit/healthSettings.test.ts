import * as assert from 'node:assert/strict';
import { PgOpsError } from '../../src/core/errors';
import { defaultActivityThresholds } from '../../src/core/ops/activity';
import { defaultHealthOptions, healthLimitKeys } from '../../src/core/ops/healthModel';
import { activityThresholdsFromSettings, healthOptionsFromSettings } from '../../src/core/ops/healthSettings';

/** Asserts that reading the settings throws a PgOpsError whose message names `key` and matches `what`, with a hint. */
function rejects(thresholds: unknown, detailRows: unknown, key: string, what: RegExp): void {
  assert.throws(
    () => healthOptionsFromSettings(thresholds, detailRows),
    (e: unknown) => {
      assert.ok(PgOpsError.is(e), `a PgOpsError: ${String(e)}`);
      assert.ok(e.message.startsWith(key), `names ${key}: ${e.message}`);
      assert.match(e.message, what);
      assert.match(e.hint ?? '', /\S/, 'says what to do');
      return true;
    },
  );
}

describe('health settings (pgops.health.thresholds, pgops.health.detailRows) as health options', () => {
  it('gives the defaults when neither setting is set', () => {
    assert.deepEqual(healthOptionsFromSettings(undefined, undefined), defaultHealthOptions);
    assert.deepEqual(healthOptionsFromSettings({}, null), defaultHealthOptions);
  });

  it('covers every limit of the health options and nothing else', () => {
    assert.deepEqual(
      [...healthLimitKeys].sort(),
      Object.keys(defaultHealthOptions)
        .filter((k) => k !== 'detailRows')
        .sort(),
    );
  });

  it('takes whole overrides, keeps the default of a level left out, and null as "never"', () => {
    const o = healthOptionsFromSettings(
      {
        connectionsPct: { warn: 70, fail: 90 },
        longTransactionS: { warn: 120 },
        unusedIndexes: { warn: null },
        cacheHitPct: { fail: 50 },
      },
      12,
    );
    assert.deepEqual(o.connectionsPct, { warn: 70, fail: 90 });
    assert.deepEqual(o.longTransactionS, { warn: 120, fail: defaultHealthOptions.longTransactionS.fail });
    assert.deepEqual(o.unusedIndexes, { warn: null, fail: null });
    assert.deepEqual(o.cacheHitPct, { warn: 95, fail: 50 });
    assert.equal(o.detailRows, 12);
    assert.deepEqual(o.wraparoundPct, defaultHealthOptions.wraparoundPct, 'untouched checks keep their defaults');
  });

  it('rejects a thresholds value that is not an object', () => {
    rejects([1, 2], undefined, 'pgops.health.thresholds', /must be an object/);
    rejects('strict', undefined, 'pgops.health.thresholds', /must be an object/);
  });

  it('rejects an unknown check key, listing the known ones', () => {
    assert.throws(
      () => healthOptionsFromSettings({ cacheHit: { warn: 90 } }, undefined),
      (e: PgOpsError) =>
        e.message === 'pgops.health.thresholds.cacheHit is not a health threshold' && /cacheHitPct/.test(e.hint ?? ''),
    );
  });

  it('rejects limits that are not {warn, fail}, and levels other than warn and fail', () => {
    rejects({ deadlocks: 3 }, undefined, 'pgops.health.thresholds.deadlocks', /must be \{"warn"/);
    rejects({ deadlocks: { error: 3 } }, undefined, 'pgops.health.thresholds.deadlocks.error', /is not a level/);
  });

  it('rejects a negative, non-numeric or infinite level, naming the level', () => {
    rejects(
      { cacheHitPct: { warn: -1 } },
      undefined,
      'pgops.health.thresholds.cacheHitPct.warn',
      /≥ 0 or null, got -1/,
    );
    rejects({ tempBytes: { fail: '10GB' } }, undefined, 'pgops.health.thresholds.tempBytes.fail', /got "10GB"/);
    rejects({ sequencePct: { warn: Infinity } }, undefined, 'pgops.health.thresholds.sequencePct.warn', /got Infinity/);
  });

  it('rejects fail before warn in the bad direction, saying which level is the default', () => {
    rejects(
      { connectionsPct: { warn: 90, fail: 80 } },
      undefined,
      'pgops.health.thresholds.connectionsPct',
      /at or above/,
    );
    rejects(
      { cacheHitPct: { warn: 80 } },
      undefined,
      'pgops.health.thresholds.cacheHitPct',
      /fail \(85 \(the default\)\) must be at or below warn \(80\) — lower is worse/,
    );
  });

  it('rejects a detail row count that is not a whole number ≥ 1', () => {
    for (const bad of [0, 2.5, '5', -3]) rejects(undefined, bad, 'pgops.health.detailRows', /whole number ≥ 1/);
  });
});

describe('Activity flag levels from the health settings', () => {
  it("defaults to the checks' warn levels", () => {
    assert.deepEqual(activityThresholdsFromSettings(undefined), defaultActivityThresholds);
    assert.deepEqual(activityThresholdsFromSettings(undefined), { longTransactionS: 300, idleInTransactionS: 60 });
  });

  it('follows the warn levels set, falls back to fail when warn is null, and never flags when both are', () => {
    assert.deepEqual(
      activityThresholdsFromSettings({ longTransactionS: { warn: 30 }, idleInTransactionS: { warn: null, fail: 90 } }),
      { longTransactionS: 30, idleInTransactionS: 90 },
    );
    assert.equal(
      activityThresholdsFromSettings({ longTransactionS: { warn: null, fail: null } }).longTransactionS,
      Number.POSITIVE_INFINITY,
    );
  });

  it('is not stopped by a bad threshold of another check, but is by its own', () => {
    assert.deepEqual(activityThresholdsFromSettings({ cacheHitPct: { warn: -1 } }), defaultActivityThresholds);
    assert.throws(
      () => activityThresholdsFromSettings({ idleInTransactionS: { warn: 'soon' } }),
      /pgops\.health\.thresholds\.idleInTransactionS\.warn/,
    );
  });
});

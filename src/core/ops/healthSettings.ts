/**
 * The extension's health settings (`pgops.health.thresholds`, `pgops.health.detailRows`) as HealthOptions.
 * The raw values come from the user's settings.json, so every part is checked here and a bad one is
 * named by its full setting key with what to do.
 */
import { PgOpsError } from '../errors';
import type { ActivityThresholds } from './activity';
import type { HealthLimitKey, HealthOptions, Limits } from './healthModel';
import { defaultHealthOptions, healthLimitKeys, healthOptions, thresholdOf } from './healthModel';

export const healthThresholdsSetting = 'pgops.health.thresholds';
export const healthDetailRowsSetting = 'pgops.health.detailRows';

const fixHint = (key: string) =>
  `Correct ${key} in the settings (a number ≥ 0, or null for "never"), or remove it to use the default.`;

/** A raw setting value in a message: JSON, except numbers JSON cannot write (Infinity, NaN). */
const shown = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `pgops.health.thresholds` object itself: absent (or null) means every default. */
function thresholdsObject(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw))
    throw new PgOpsError(
      'health-setting',
      `${healthThresholdsSetting} must be an object of {warn, fail} limits, got ${shown(raw)}`,
      `Set it to e.g. {"cacheHitPct": {"warn": 90}}, or remove it to use the defaults.`,
    );
  const unknown = Object.keys(raw).filter((k) => !(healthLimitKeys as string[]).includes(k));
  if (unknown.length)
    throw new PgOpsError(
      'health-setting',
      `${healthThresholdsSetting}.${unknown[0]} is not a health threshold`,
      `Use one of: ${healthLimitKeys.join(', ')}.`,
    );
  return raw;
}

/**
 * One check's limits from `pgops.health.thresholds.<key>`: a level left out keeps its default; each
 * level is a number ≥ 0 or null (never), and fail lies at or past warn in the check's bad direction.
 */
function limitsOf(thresholds: Record<string, unknown>, key: HealthLimitKey): Limits {
  const defaults = defaultHealthOptions[key];
  const raw = thresholds[key];
  if (raw === undefined || raw === null) return defaults;
  const name = `${healthThresholdsSetting}.${key}`;
  if (!isRecord(raw))
    throw new PgOpsError('health-setting', `${name} must be {"warn": …, "fail": …}, got ${shown(raw)}`, fixHint(name));
  const extra = Object.keys(raw).filter((k) => k !== 'warn' && k !== 'fail');
  if (extra.length)
    throw new PgOpsError(
      'health-setting',
      `${name}.${extra[0]} is not a level`,
      `Use only "warn" and "fail" in ${name}.`,
    );
  const limits = { ...defaults };
  for (const level of ['warn', 'fail'] as const) {
    const v = raw[level];
    if (v === undefined) continue;
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
      throw new PgOpsError(
        'health-setting',
        `${name}.${level} must be a number ≥ 0 or null, got ${shown(v)}`,
        fixHint(`${name}.${level}`),
      );
    limits[level] = v;
  }
  const { warn, fail } = limits;
  const below = thresholdOf(defaultHealthOptions, key).direction === 'below';
  if (warn !== null && fail !== null && (below ? fail > warn : fail < warn)) {
    const given = (level: 'warn' | 'fail') => (raw[level] === undefined ? ' (the default)' : '');
    throw new PgOpsError(
      'health-setting',
      `${name}: fail (${fail}${given('fail')}) must be ${below ? 'at or below' : 'at or above'} warn (${warn}${given('warn')})` +
        (below ? ' — lower is worse for this check' : ''),
      `Set both levels of ${name}, fail ${below ? 'no higher' : 'no lower'} than warn.`,
    );
  }
  return limits;
}

function detailRowsOf(raw: unknown): number {
  if (raw === undefined || raw === null) return defaultHealthOptions.detailRows;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1)
    throw new PgOpsError(
      'health-setting',
      `${healthDetailRowsSetting} must be a whole number ≥ 1, got ${shown(raw)}`,
      `Correct ${healthDetailRowsSetting} in the settings, or remove it to use the default (${defaultHealthOptions.detailRows}).`,
    );
  return raw;
}

/** The HealthOptions of the two settings' raw values (as read from the configuration, unchecked). */
export function healthOptionsFromSettings(thresholds: unknown, detailRows: unknown): HealthOptions {
  const t = thresholdsObject(thresholds);
  const options = { detailRows: detailRowsOf(detailRows) } as HealthOptions;
  for (const key of healthLimitKeys) options[key] = limitsOf(t, key);
  return healthOptions(options);
}

/**
 * Where the Activity view flags a session: the level at which the long-transactions and idle-in-transaction
 * checks first complain (warn, else fail; never when both are null). Reads only those two thresholds (and the
 * object's keys), so a bad level of another check does not stop the Activity view.
 */
export function activityThresholdsFromSettings(thresholds: unknown): ActivityThresholds {
  const t = thresholdsObject(thresholds);
  const first = (l: Limits) => l.warn ?? l.fail ?? Number.POSITIVE_INFINITY;
  return {
    longTransactionS: first(limitsOf(t, 'longTransactionS')),
    idleInTransactionS: first(limitsOf(t, 'idleInTransactionS')),
  };
}

import { PgOpsError } from '../errors';
import type { Queryable } from '../diag/queryable';
import { formatBytes } from '../diag/replication';

/** ok: nothing to do; warn: look at it soon; fail: act now; unknown: pgops could not tell (the message says why). */
export type HealthStatus = 'ok' | 'warn' | 'fail' | 'unknown';

export const healthCheckIds = [
  'connections',
  'long-transactions',
  'idle-in-transaction',
  'wraparound',
  'checkpoints',
  'cache-hit',
  'unused-indexes',
  'invalid-indexes',
  'duplicate-indexes',
  'replication-slots',
  'sequences',
  'temp-files',
  'deadlocks',
  'archiver',
  'io',
] as const;

export type HealthCheckId = (typeof healthCheckIds)[number];

/** What a value counts, for formatting it and its thresholds. */
export type HealthUnit = 'percent' | 'seconds' | 'count' | 'bytes';

/**
 * Where a check turns warn and fail. `above`: a value at or over the limit is bad (connections used);
 * `below`: a value under the limit is bad (cache hit ratio). A null limit never triggers.
 */
export interface HealthThreshold {
  warn: number | null;
  fail: number | null;
  direction: 'above' | 'below';
}

/** One row of a check's details (the sessions, tables or indexes behind its value). */
export type HealthDetail = Record<string, string | number | boolean | null>;

export interface HealthResult {
  id: HealthCheckId;
  status: HealthStatus;
  /** The headline measurement the status was judged on; null when there is none (unknown, nothing to measure). */
  value: number | null;
  unit: HealthUnit;
  threshold: HealthThreshold | null;
  /** What was measured and what it means. */
  message: string;
  /** What to do (often SQL to run); null when there is nothing to do. */
  fix: string | null;
  details: HealthDetail[];
}

/** Warn and fail limits of one check, in its unit. */
export interface Limits {
  warn: number | null;
  fail: number | null;
}

/**
 * The thresholds of every check. The extension maps its settings onto this object; each default is
 * documented here and in the README.
 */
export interface HealthOptions {
  /** Client connections as a percentage of max_connections minus the reserved slots. */
  connectionsPct: Limits;
  /** Age of the oldest open transaction of a client backend, seconds. */
  longTransactionS: Limits;
  /** How long a session has been idle inside a transaction, seconds. */
  idleInTransactionS: Limits;
  /**
   * age(datfrozenxid) (and mxid_age(datminmxid)) as a percentage of autovacuum_freeze_max_age (and
   * autovacuum_multixact_freeze_max_age). Autovacuum should freeze a table before it reaches 100%.
   */
  wraparoundPct: Limits;
  /** Checkpoints requested (WAL volume, CHECKPOINT, CREATE DATABASE …) as a percentage of all checkpoints. */
  checkpointsRequestedPct: Limits;
  /** Buffer cache hit ratio of each database, percent; lower is worse. */
  cacheHitPct: Limits;
  /** Non-unique indexes never scanned since the statistics were reset, count. */
  unusedIndexes: Limits;
  /** Invalid indexes (a failed CREATE INDEX CONCURRENTLY), count. */
  invalidIndexes: Limits;
  /** Indexes that duplicate another index of the same table, count. */
  duplicateIndexes: Limits;
  /** WAL retained by the most demanding inactive replication slot, bytes. */
  inactiveSlotBytes: Limits;
  /** The most used sequence, percentage of its range. */
  sequencePct: Limits;
  /** Temporary file bytes written by the worst database since its statistics reset. */
  tempBytes: Limits;
  /** Deadlocks since the statistics reset, all databases. */
  deadlocks: Limits;
  /** WAL archiving failures since the archiver statistics reset (a failure not yet followed by a success fails). */
  archiverFailures: Limits;
  /** Share of the relation writes in the normal context done by client backends rather than the checkpointer and bgwriter, percent (16+). */
  clientWritesPct: Limits;
  /** Rows of details per check. */
  detailRows: number;
}

const gib = 1024 ** 3;

export const defaultHealthOptions: HealthOptions = {
  connectionsPct: { warn: 80, fail: 95 },
  longTransactionS: { warn: 300, fail: 3600 },
  idleInTransactionS: { warn: 60, fail: 600 },
  wraparoundPct: { warn: 100, fail: 150 },
  checkpointsRequestedPct: { warn: 30, fail: 60 },
  cacheHitPct: { warn: 95, fail: 85 },
  unusedIndexes: { warn: 1, fail: null },
  invalidIndexes: { warn: 1, fail: 1 },
  duplicateIndexes: { warn: 1, fail: null },
  inactiveSlotBytes: { warn: 1 * gib, fail: 16 * gib },
  sequencePct: { warn: 75, fail: 90 },
  tempBytes: { warn: 10 * gib, fail: null },
  deadlocks: { warn: 1, fail: null },
  archiverFailures: { warn: 1, fail: null },
  clientWritesPct: { warn: 25, fail: 50 },
  detailRows: 5,
};

/** Checks whose value is bad when low; all others are bad when high. */
const belowIsBad: ReadonlySet<keyof HealthOptions> = new Set(['cacheHitPct']);

/** The options that are {warn, fail} limits: every one but detailRows (the keys of `pgops.health.thresholds`). */
export type HealthLimitKey = Exclude<keyof HealthOptions, 'detailRows'>;

export const healthLimitKeys = (Object.keys(defaultHealthOptions) as Array<keyof HealthOptions>).filter(
  (k): k is HealthLimitKey => k !== 'detailRows',
);

/**
 * The defaults with the caller's limits on top, each checked: numbers ≥ 0 (or null), and fail at or
 * past warn in the bad direction.
 */
export function healthOptions(overrides: Partial<HealthOptions> = {}): HealthOptions {
  const merged: HealthOptions = { ...defaultHealthOptions, ...overrides };
  if (!Number.isInteger(merged.detailRows) || merged.detailRows < 1)
    throw new PgOpsError(
      'health-option',
      `health option detailRows must be a positive integer, got ${merged.detailRows}`,
    );
  for (const key of healthLimitKeys) {
    const limits = merged[key];
    if (typeof limits !== 'object' || limits === null)
      throw new PgOpsError('health-option', `health threshold ${key} must be {warn, fail}, got ${String(limits)}`);
    for (const level of ['warn', 'fail'] as const) {
      const v = limits[level];
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
        throw new PgOpsError(
          'health-option',
          `health threshold ${key}.${level} must be a non-negative number or null, got ${String(v)}`,
          'Fix the threshold in the settings (pgops.health.*), or remove it to use the default.',
        );
    }
    const { warn, fail } = limits;
    if (warn !== null && fail !== null && (belowIsBad.has(key) ? fail > warn : fail < warn))
      throw new PgOpsError(
        'health-option',
        `health threshold ${key}: fail (${fail}) must be ${belowIsBad.has(key) ? 'at or below' : 'at or above'} warn (${warn})`,
        'Fix the threshold in the settings (pgops.health.*), or remove it to use the default.',
      );
  }
  return merged;
}

/** The threshold of one option, with its direction. */
export function thresholdOf(options: HealthOptions, key: HealthLimitKey): HealthThreshold {
  const { warn, fail } = options[key];
  return { warn, fail, direction: belowIsBad.has(key) ? 'below' : 'above' };
}

/** ok, warn or fail for a value against a threshold: `above` triggers at or over the limit, `below` under it. */
export function statusFor(value: number, t: HealthThreshold): HealthStatus {
  const hit = (limit: number | null) => limit !== null && (t.direction === 'above' ? value >= limit : value < limit);
  if (hit(t.fail)) return 'fail';
  if (hit(t.warn)) return 'warn';
  return 'ok';
}

/** The worse of two statuses (fail > warn > unknown > ok). */
export function worseStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  const rank: Record<HealthStatus, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };
  return rank[a] >= rank[b] ? a : b;
}

/** A value as people read it: 83.4%, 12 min, 1.5 GiB, 3. */
export function formatHealthValue(value: number | null, unit: HealthUnit): string {
  if (value === null) return '';
  switch (unit) {
    case 'percent':
      return `${Math.round(value * 10) / 10}%`;
    case 'seconds':
      return formatSeconds(value);
    case 'bytes':
      return formatBytes(value);
    default:
      return String(Math.round(value * 100) / 100);
  }
}

/** A threshold as one short text: "warn ≥ 80%, fail ≥ 95%", "warn < 95%". */
export function formatThreshold(t: HealthThreshold | null, unit: HealthUnit): string {
  if (!t) return '';
  const op = t.direction === 'above' ? '≥' : '<';
  const parts: string[] = [];
  if (t.warn !== null) parts.push(`warn ${op} ${formatHealthValue(t.warn, unit)}`);
  if (t.fail !== null) parts.push(`fail ${op} ${formatHealthValue(t.fail, unit)}`);
  return parts.join(', ');
}

export function formatSeconds(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round((s / 3600) * 10) / 10} h`;
  return `${Math.round((s / 86400) * 10) / 10} d`;
}

/** What every check gets: the session, the server version, the thresholds and what the role may read. */
export interface CheckContext {
  client: Queryable;
  versionNum: number;
  options: HealthOptions;
  /** Superuser or member of pg_read_all_stats: other roles' sessions are visible. */
  readAllStats: boolean;
}

/** A check's verdict before the runner adds its id. */
export type CheckOutcome = Omit<HealthResult, 'id'>;

/** An `unknown` outcome saying why. */
export function unknownOutcome(unit: HealthUnit, message: string, fix: string | null = null): CheckOutcome {
  return { status: 'unknown', value: null, unit, threshold: null, message, fix, details: [] };
}

/** The outcome of a value judged against one option's threshold. */
export function judged(
  options: HealthOptions,
  key: HealthLimitKey,
  value: number,
  unit: HealthUnit,
  rest: { message: string; fix: string | null; details?: HealthDetail[] },
): CheckOutcome {
  const threshold = thresholdOf(options, key);
  const status = statusFor(value, threshold);
  return {
    status,
    value,
    unit,
    threshold,
    message: rest.message,
    fix: status === 'ok' ? null : rest.fix,
    details: rest.details ?? [],
  };
}

/** An ok without a verdict: too little activity to judge the value on (the message says how little). */
export function tooFewToJudge(
  options: HealthOptions,
  key: HealthLimitKey,
  unit: HealthUnit,
  message: string,
  details: HealthDetail[] = [],
): CheckOutcome {
  return { status: 'ok', value: null, unit, threshold: thresholdOf(options, key), message, fix: null, details };
}

/** Says when other roles' sessions were hidden: an ok then cannot be vouched for. */
export function hiddenSessionsNote(hidden: number): string {
  return hidden > 0
    ? ` ${hidden} session(s) of other roles are hidden from this role (GRANT pg_read_all_stats, or pg_monitor, to see them).`
    : '';
}

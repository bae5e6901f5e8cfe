import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import { reportFileBase } from '../report/files';
import type { PlanSetting, SettingCell } from './settingValues';
import { checkSettingName, settingCells } from './settingValues';

/**
 * A pgbench sweep, as the user writes it in a `*.pgbench-plan.json` file or as the CLI flags
 * build it. It holds no connection and no secret, so it can be shared and stored in reports.
 */
export interface BenchPlan {
  /** file format version */
  version: 1;
  /** report name; default `pgbench_<timestamp>` */
  reportName?: string;
  description?: string;
  /** one iteration per value: client counts (like --pgbench-clients) or durations in s (--pgbench-time) */
  iterate: 'clients' | 'time';
  values: number[];
  /**
   * runs of every value (default 1). The runs are ordered back and forth (1 2 3, 3 2 1, 1 2 3, …) so
   * that a slow drift of the machine weighs on every value alike.
   */
  repeat?: number;
  /**
   * server settings to sweep: every combination of their values (a cell) runs every iteration value.
   * Cells and values are interleaved back and forth (A B, B A, …) so that drift weighs on all alike.
   */
  settings?: PlanSetting[];
  /** clients when iterating over time */
  clients: number;
  /** -T seconds when iterating over clients (unless `transactions` is set) */
  durationS?: number;
  /** -t per client, instead of -T */
  transactions?: number;
  /** -j; capped at the iteration's client count */
  threads?: number;
  scale: number;
  foreignKeys: boolean;
  /** when to run `pgbench -i` (or the init command): once before the sweep, before every iteration, or never */
  init: 'once' | 'every-iteration' | 'never';
  builtin: Array<{ name: 'tpcb-like' | 'simple-update' | 'select-only'; weight: number }>;
  /** custom script files, relative to the plan file's folder or absolute */
  files: Array<{ path: string; weight: number }>;
  protocol?: 'simple' | 'extended' | 'prepared';
  /** --rate, transactions per second */
  rate?: number;
  /** --latency-limit, ms */
  latencyLimitMs?: number;
  noVacuum: boolean;
  /** more pgbench arguments, appended as they are */
  extraArgs: string[];
  /** pg_perfbench-style templates with ARG_* placeholders; they replace the built pgbench command lines */
  initCommand?: string;
  workloadCommand?: string;
  /** ARG_WORKLOAD_PATH; default the plan file's folder */
  workloadPath?: string;
  /**
   * search_path of pgbench and of the init/workload commands (PGOPTIONS): the schemas of the
   * benchmark's tables, the first one receiving `pgbench -i`'s. pg_catalog stays implicitly first.
   */
  searchPath: string[];
  reset: { checkpoint: boolean; statStatementsReset: boolean; statReset: boolean };
  /** per-transaction log for percentiles */
  transactionLog: { enabled: boolean; samplingRate: number; keep: boolean };
  waits: { enabled: boolean; intervalMs: number };
  topStatements: number;
}

const maxRepeat = 100;

/** One run of a sweep: which setting cell and value, and which repeat of them. */
export interface ScheduledRun {
  /** the settings of the run (empty without a settings sweep) */
  cell: SettingCell;
  value: number;
  /** 0-based */
  repeat: number;
}

/** Every run of the plan in order: every cell × value forth, then back, once per repeat (A B C, C B A, …). */
export function sweepSchedule(plan: Pick<BenchPlan, 'values' | 'repeat' | 'settings'>): ScheduledRun[] {
  const out: ScheduledRun[] = [];
  const cells = settingCells(plan.settings);
  for (let r = 0; r < (plan.repeat ?? 1); r++) {
    const order = cells.flatMap((cell) => plan.values.map((value) => ({ cell, value, repeat: r })));
    out.push(...(r % 2 === 0 ? order : order.reverse()));
  }
  return out;
}

export const builtinScripts = ['tpcb-like', 'simple-update', 'select-only'] as const;

/**
 * The per-transaction log's default sampling: at about 22,000 select-only tps a full log costs 8% of tps, this one
 * stays inside 2% of raw pgbench (bench:overhead, BENCHMARKS.md), and the percentiles it gives carry their 95%
 * interval; below 1,000 sampled transactions an iteration's report says which rate would give tails worth comparing.
 */
export const defaultSamplingRate = 0.01;

export function defaultPlan(): BenchPlan {
  return {
    version: 1,
    iterate: 'clients',
    values: [1, 10, 20, 50, 100],
    clients: 1,
    durationS: 10,
    scale: 1,
    foreignKeys: false,
    init: 'once',
    builtin: [],
    files: [],
    noVacuum: false,
    extraArgs: [],
    searchPath: ['public'],
    reset: { checkpoint: true, statStatementsReset: false, statReset: false },
    transactionLog: { enabled: true, samplingRate: defaultSamplingRate, keep: false },
    waits: { enabled: true, intervalMs: 200 },
    topStatements: 10,
  };
}

class PlanError extends PgOpsError {
  constructor(
    readonly field: string,
    readonly problem: string,
    where = 'Run plan',
  ) {
    super('bench-plan', `${where}: ${field} ${problem}`, 'Fix the plan (file or flags) and run again.');
  }
}

function bad(field: string, message: string): PgOpsError {
  return new PlanError(field, message);
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw bad(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** NAMEDATALEN - 1: the server cuts longer names, which could then name another schema. */
const maxSchemaNameBytes = 63;

/** The schemas of pgbench's search_path: named ones only, never the catalog's place or the temporary schema. */
function checkSearchPath(searchPath: unknown): void {
  if (!Array.isArray(searchPath) || searchPath.length === 0)
    throw bad('searchPath', 'must list at least one schema, e.g. ["public"]');
  for (const [i, schema] of searchPath.entries()) {
    const field = `searchPath[${i}]`;
    if (typeof schema !== 'string' || schema === '' || schema.includes('\0'))
      throw bad(field, `must be a schema name, got ${JSON.stringify(schema)}`);
    if (Buffer.byteLength(schema) > maxSchemaNameBytes)
      throw bad(field, `"${schema}" is longer than ${maxSchemaNameBytes} bytes, which PostgreSQL would cut`);
    if (schema === '$user')
      throw bad(
        field,
        '"$user" is not allowed: name the schemas themselves, so the path does not depend on the login role',
      );
    if (schema === 'pg_catalog') throw bad(field, '"pg_catalog" is not allowed: it is always searched first');
    if (/^pg_temp/.test(schema))
      throw bad(field, `"${schema}" is not allowed: temporary objects must not shadow the benchmark's tables`);
  }
}

/** Most runs a plan may make: a matrix grows fast, and each cell runs pgbench. */
const maxRuns = 1000;

function checkSettings(settings: PlanSetting[] | undefined): void {
  if (settings === undefined) return;
  const seen = new Set<string>();
  for (const [i, s] of settings.entries()) {
    const field = `settings[${i}]`;
    if (typeof s.name !== 'string') throw bad(`${field}.name`, 'must name a setting');
    let name: string;
    try {
      name = checkSettingName(s.name, `${field}.name`);
    } catch (err) {
      throw bad(`${field}.name`, (err as Error).message.replace(/^settings\[\d+\]\.name /, ''));
    }
    if (seen.has(name)) throw bad(`${field}.name`, `names ${name} a second time`);
    seen.add(name);
    s.name = name;
    if (!Array.isArray(s.values) || s.values.length === 0 || s.values.some((v) => typeof v !== 'string' || v === ''))
      throw bad(`${field}.values`, 'must list the values as non-empty strings, e.g. ["4MB", "64MB"]');
    if (new Set(s.values).size !== s.values.length) throw bad(`${field}.values`, 'lists a value twice');
    if (s.method !== undefined && s.method !== 'session' && s.method !== 'system')
      throw bad(`${field}.method`, 'must be "session" or "system"');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of a plan and of its nested objects, with the type each must have: a misspelt field is an error, not ignored. */
const planFields: Record<string, string> = {
  version: 'number',
  reportName: 'string',
  description: 'string',
  iterate: 'string',
  values: 'array',
  repeat: 'number',
  settings: 'array',
  clients: 'number',
  durationS: 'number',
  transactions: 'number',
  threads: 'number',
  scale: 'number',
  foreignKeys: 'boolean',
  init: 'string',
  builtin: 'array',
  files: 'array',
  protocol: 'string',
  rate: 'number',
  latencyLimitMs: 'number',
  noVacuum: 'boolean',
  extraArgs: 'array',
  initCommand: 'string',
  workloadCommand: 'string',
  workloadPath: 'string',
  searchPath: 'array',
  reset: 'object',
  transactionLog: 'object',
  waits: 'object',
  topStatements: 'number',
};
const nestedFields: Record<string, Record<string, string>> = {
  reset: { checkpoint: 'boolean', statStatementsReset: 'boolean', statReset: 'boolean' },
  transactionLog: { enabled: 'boolean', samplingRate: 'number', keep: 'boolean' },
  waits: { enabled: 'boolean', intervalMs: 'number' },
  builtin: { name: 'string', weight: 'number' },
  files: { path: 'string', weight: 'number' },
  settings: { name: 'string', values: 'array', method: 'string' },
};

const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

function checkFields(obj: Record<string, unknown>, fields: Record<string, string>, prefix: string): void {
  for (const [key, value] of Object.entries(obj)) {
    const field = `${prefix}${key}`;
    const want = fields[key];
    if (!want) throw bad(field, `is not a plan field (known: ${Object.keys(fields).join(', ')})`);
    const expected = {
      array: 'a list',
      object: 'an object',
      string: 'a string',
      number: 'a number',
      boolean: 'true or false',
    }[want];
    if (value !== undefined && typeOf(value) !== want)
      throw bad(field, `must be ${expected}, got ${JSON.stringify(value)}`);
  }
}

/** Field names and types, before defaults are filled in. */
function checkShape(input: Record<string, unknown>): void {
  checkFields(input, planFields, '');
  for (const key of ['reset', 'transactionLog', 'waits'])
    if (isObject(input[key])) checkFields(input[key], nestedFields[key], `${key}.`);
  for (const key of ['builtin', 'files', 'settings']) {
    (input[key] as unknown[] | undefined)?.forEach((entry, i) => {
      if (!isObject(entry)) throw bad(`${key}[${i}]`, `must be an object, got ${JSON.stringify(entry)}`);
      checkFields(entry, nestedFields[key], `${key}[${i}].`);
    });
  }
}

/** Checks a plan and fills defaults; every error names the field. */
export function validatePlan(input: Partial<BenchPlan>): BenchPlan {
  if (!isObject(input)) throw bad('(top level)', `must be an object, got ${JSON.stringify(input)}`);
  checkShape(input);
  const plan: BenchPlan = {
    ...defaultPlan(),
    ...input,
    reset: { ...defaultPlan().reset, ...input.reset },
    transactionLog: { ...defaultPlan().transactionLog, ...input.transactionLog },
    waits: { ...defaultPlan().waits, ...input.waits },
  };
  if (plan.version !== 1) throw bad('version', `must be 1, got ${JSON.stringify(plan.version)}`);
  if (plan.iterate !== 'clients' && plan.iterate !== 'time') throw bad('iterate', 'must be "clients" or "time"');
  if (!Array.isArray(plan.values) || plan.values.length === 0)
    throw bad('values', 'must list at least one iteration value');
  plan.values.forEach((v, i) => positiveInt(v, `values[${i}]`));
  checkSettings(plan.settings);
  if (plan.repeat !== undefined && positiveInt(plan.repeat, 'repeat') > maxRepeat)
    throw bad('repeat', `must be at most ${maxRepeat}, got ${plan.repeat}`);
  const runs = settingCells(plan.settings).length * plan.values.length * (plan.repeat ?? 1);
  if (runs > maxRuns) throw bad('settings', `make ${runs} runs (cells × values × repeats); at most ${maxRuns}`);
  positiveInt(plan.clients, 'clients');
  positiveInt(plan.scale, 'scale');
  if (plan.transactions !== undefined) positiveInt(plan.transactions, 'transactions');
  if (plan.durationS !== undefined) positiveInt(plan.durationS, 'durationS');
  if (plan.iterate === 'time' && plan.transactions !== undefined)
    throw bad('transactions', 'cannot be combined with iterating over time');
  if (plan.iterate === 'clients' && plan.transactions === undefined && plan.durationS === undefined)
    throw bad('durationS', 'or transactions is required');
  if (plan.threads !== undefined) positiveInt(plan.threads, 'threads');
  if (!['once', 'every-iteration', 'never'].includes(plan.init))
    throw bad('init', 'must be "once", "every-iteration" or "never"');
  for (const [i, b] of plan.builtin.entries()) {
    if (!builtinScripts.includes(b.name))
      throw bad(`builtin[${i}].name`, `must be one of ${builtinScripts.join(', ')}`);
    positiveInt(b.weight, `builtin[${i}].weight`);
  }
  for (const [i, f] of plan.files.entries()) {
    if (typeof f.path !== 'string' || !f.path) throw bad(`files[${i}].path`, 'must be a file path');
    positiveInt(f.weight, `files[${i}].weight`);
  }
  if (plan.protocol !== undefined && !['simple', 'extended', 'prepared'].includes(plan.protocol))
    throw bad('protocol', 'must be simple, extended or prepared');
  if (plan.rate !== undefined && !(plan.rate > 0)) throw bad('rate', 'must be a positive number');
  if (plan.latencyLimitMs !== undefined && !(plan.latencyLimitMs > 0))
    throw bad('latencyLimitMs', 'must be a positive number');
  if (!Array.isArray(plan.extraArgs) || plan.extraArgs.some((a) => typeof a !== 'string'))
    throw bad('extraArgs', 'must be a list of strings');
  checkSearchPath(plan.searchPath);
  if (!(plan.transactionLog.samplingRate > 0 && plan.transactionLog.samplingRate <= 1))
    throw bad('transactionLog.samplingRate', 'must be in (0, 1]');
  if (!(plan.waits.intervalMs >= 10)) throw bad('waits.intervalMs', 'must be at least 10');
  if (!Number.isInteger(plan.topStatements) || plan.topStatements < 0)
    throw bad('topStatements', 'must be a non-negative integer');
  // the report's file name comes from it: known to work before the sweep runs, not after
  if (plan.reportName !== undefined) reportFileBase(plan.reportName);
  return plan;
}

export const planFileSuffix = '.pgbench-plan.json';

/** The file a plan was read from: a plan file, or a report whose plan was written wherever that sweep ran. */
export interface PlanSource {
  file: string;
  fromReport: boolean;
}

/**
 * Reads a plan file, or the plan inside a pgops report (*Re-run this report*; the report's name is
 * dropped so the re-run gets its own). Relative script paths and the workload path are resolved
 * against the file's folder. Nothing the plan names is read or run here: reviewPlan (planReview.ts)
 * says whether the user must consent first.
 */
export function readPlanFile(file: string): { plan: BenchPlan; source: PlanSource } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PgOpsError(
      'bench-plan',
      `Cannot read the run plan ${file}: ${(err as Error).message}`,
      `Give a JSON file like the ones pgops writes (*${planFileSuffix}).`,
      { cause: err },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw bad('file', `${file} must hold a JSON object`);
  // a report written by pgops carries its plan: re-running a report reads it from there
  const fromReport = (raw as { pgops?: { plan?: unknown } }).pgops?.plan;
  if (
    (raw as { sections?: unknown }).sections !== undefined &&
    (typeof fromReport !== 'object' || fromReport === null)
  ) {
    throw bad('file', `${file} is a report without a pgops run plan (pg_perfbench reports hold none)`);
  }
  let plan: BenchPlan;
  try {
    plan = validatePlan(fromReport ?? raw);
  } catch (err) {
    // the same finding, naming the file it is in
    if (err instanceof PlanError)
      throw new PlanError(err.field, err.problem, `Run plan ${fromReport ? 'in ' : ''}${file}`);
    throw err;
  }
  if (fromReport) delete plan.reportName;
  const dir = path.dirname(path.resolve(file));
  plan.files = plan.files.map((f) => ({ ...f, path: path.resolve(dir, f.path) }));
  plan.workloadPath = path.resolve(dir, plan.workloadPath ?? '.');
  return { plan, source: { file: path.resolve(file), fromReport: fromReport !== undefined } };
}

/** Every custom script of the plan is a readable file: checked before anything connects or runs. */
export function checkPlanScripts(plan: BenchPlan): void {
  plan.files.forEach((f, i) => {
    const st = fs.statSync(f.path, { throwIfNoEntry: false });
    if (!st) throw bad(`files[${i}]`, `names the script ${f.path}, which does not exist`);
    if (!st.isFile()) throw bad(`files[${i}]`, `names ${f.path}, which is not a file`);
  });
}

export function writePlanFile(file: string, plan: BenchPlan): void {
  fs.writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
}

/**
 * Server settings as a sweep names them: `--set NAME=V1,V2` parsed, the matrix of cells they make,
 * how a value is applied given the setting's context, and whether the value the server shows is the
 * one asked for (`64MB` and `65536` are the same work_mem). Pure: settingSweep.ts talks to the server.
 */
import { PgOpsError } from '../errors';

/** One swept setting of a plan. */
export interface PlanSetting {
  name: string;
  values: string[];
  /**
   * `session`: the benchmark's sessions get `-c name=value` (PGOPTIONS); nothing on the server changes.
   * `system`: ALTER SYSTEM + pg_reload_conf(), restored afterwards. Default: session when the context
   * allows it, else system (sighup) or restart (postmaster).
   */
  method?: 'session' | 'system';
}

export type SettingMethod = 'session' | 'system' | 'restart';

/** A combination of setting values: one cell of the matrix, name → value as written in the plan. */
export type SettingCell = Record<string, string>;

/** GUC names: letters, digits, `_`, `$`, and one or more dots for an extension's settings. */
const settingName = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$/;

/** Settings the plan sets another way, or that would change what pgops' own sessions rely on. */
const refusedNames: Record<string, string> = {
  search_path: 'the plan sets it with searchPath (--search-path)',
  default_transaction_read_only: 'the benchmark would stop writing and pgops’ checks rely on it',
  transaction_read_only: 'the benchmark would stop writing',
  session_authorization: 'it changes who the benchmark runs as',
  role: 'it changes who the benchmark runs as',
};

function bad(what: string, problem: string, hint: string): PgOpsError {
  return new PgOpsError('bench-settings', `${what} ${problem}`, hint);
}

export function checkSettingName(name: string, where: string): string {
  if (!settingName.test(name))
    throw bad(
      where,
      `names the setting "${name}", which is no setting name`,
      'Name a setting as SHOW takes it, e.g. work_mem.',
    );
  const lower = name.toLowerCase();
  if (refusedNames[lower]) throw bad(where, `cannot sweep ${lower}: ${refusedNames[lower]}`, 'Sweep another setting.');
  return lower;
}

/** `NAME=V1,V2,…` (the `--set` flag): the name and its values, in order. */
export function parseSetFlag(text: string, flag = '--set'): PlanSetting {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1)
    throw bad(`${flag} "${text}"`, 'is not NAME=V1,V2,…', `For example ${flag} work_mem=4MB,64MB.`);
  const name = checkSettingName(text.slice(0, at).trim(), `${flag} "${text}"`);
  const values = text
    .slice(at + 1)
    .split(',')
    .map((v) => v.trim());
  if (values.some((v) => v === ''))
    throw bad(
      `--set "${text}"`,
      'has an empty value',
      'Separate the values by single commas, e.g. --set work_mem=4MB,64MB.',
    );
  return { name, values };
}

/** Every combination of the settings' values, the first setting varying slowest; one empty cell without settings. */
export function settingCells(settings: readonly PlanSetting[] | undefined): SettingCell[] {
  let cells: SettingCell[] = [{}];
  for (const s of settings ?? []) cells = cells.flatMap((c) => s.values.map((v) => ({ ...c, [s.name]: v })));
  return cells;
}

/**
 * How a value of a setting with this pg_settings context is applied, or why it cannot be.
 * `allowRestart` lets a postmaster setting through (the server is restarted for it).
 */
export function settingMethod(
  name: string,
  context: string,
  asked: PlanSetting['method'],
  allowRestart: boolean,
): SettingMethod {
  switch (context) {
    case 'user':
    case 'superuser':
    case 'backend':
    case 'superuser-backend':
      return asked ?? 'session';
    case 'sighup':
      if (asked === 'session')
        throw bad(
          `${name} (context sighup)`,
          'cannot be set for the benchmark’s sessions alone',
          'It applies to the whole server: leave out method "session" and pgops uses ALTER SYSTEM + reload.',
        );
      return 'system';
    case 'postmaster':
      if (!allowRestart)
        throw bad(
          `${name} (context postmaster)`,
          'takes effect only when the server restarts; nothing was run',
          'Give --allow-restart to let pgops restart the server for every value (a local server it can run pg_ctl for, or the sandbox).',
        );
      return 'restart';
    default:
      throw bad(
        `${name} (context ${context})`,
        'cannot be changed',
        'Sweep a setting whose context is user, superuser, backend, sighup or postmaster.',
      );
  }
}

const memoryUnits: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const timeUnits: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** The size of one unit of a pg_settings `unit` (`8kB` → 8192, `ms` → 1), in bytes or milliseconds. */
function unitSize(unit: string | null): { kind: 'memory' | 'time'; size: number } | undefined {
  if (!unit) return undefined;
  const m = unit.match(/^(\d*)(B|kB|MB|GB|TB)$/);
  if (m) return { kind: 'memory', size: (m[1] ? Number(m[1]) : 1) * memoryUnits[m[2]] };
  if (timeUnits[unit] !== undefined) return { kind: 'time', size: timeUnits[unit] };
  return undefined;
}

/** What pg_settings says of a setting, as far as checking and comparing its values needs. */
export interface SettingShape {
  name: string;
  vartype: string;
  unit: string | null;
  enumvals: string[] | null;
  min: number | null;
  max: number | null;
}

/**
 * A value in the setting's own unit (a number for bool/integer/real: 1/0 for booleans), or the
 * lowercase text for enums and strings; undefined when the server would refuse it.
 */
export function settingNumber(shape: SettingShape, text: string): number | string | undefined {
  const t = text.trim();
  if (shape.vartype === 'bool') {
    const v = t.toLowerCase();
    if (['on', 'true', 'yes', '1', 't', 'y'].includes(v)) return 1;
    if (['off', 'false', 'no', '0', 'f', 'n'].includes(v)) return 0;
    return undefined;
  }
  if (shape.vartype === 'enum') {
    const v = t.toLowerCase();
    return shape.enumvals && !shape.enumvals.some((e) => e.toLowerCase() === v) ? undefined : v;
  }
  if (shape.vartype !== 'integer' && shape.vartype !== 'real') return t;
  const m = t.match(/^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)$/);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!m[2]) return shape.vartype === 'integer' && !Number.isInteger(n) ? Math.round(n) : n;
  const own = unitSize(shape.unit);
  const given = own?.kind === 'memory' ? memoryUnits[m[2]] : own?.kind === 'time' ? timeUnits[m[2]] : undefined;
  if (!own || given === undefined) return undefined;
  const v = (n * given) / own.size;
  return shape.vartype === 'integer' ? Math.round(v) : v;
}

/** Why the server would refuse `text` for this setting, or undefined when it takes it. */
export function settingValueProblem(shape: SettingShape, text: string): string | undefined {
  const v = settingNumber(shape, text);
  if (v === undefined) {
    if (shape.vartype === 'enum') return `is none of ${shape.enumvals?.join(', ')}`;
    if (shape.vartype === 'bool') return 'is not on or off';
    const units = shape.unit ? ` (a number, in ${shape.unit} unless it names its unit)` : ' (a number)';
    return `is not a valid ${shape.vartype}${units}`;
  }
  if (typeof v === 'number' && shape.vartype !== 'bool') {
    if (shape.min !== null && v < shape.min) return `is below the minimum ${shape.min}${shape.unit ?? ''}`;
    if (shape.max !== null && v > shape.max) return `is above the maximum ${shape.max}${shape.unit ?? ''}`;
  }
  return undefined;
}

/** Whether the value SHOW gives is the value asked for (units, case and boolean spellings aside). */
export function sameSettingValue(shape: SettingShape, asked: string, shown: string): boolean {
  const a = settingNumber(shape, asked);
  const s = settingNumber(shape, shown);
  if (a === undefined || s === undefined) return asked.trim() === shown.trim();
  if (typeof a === 'number' && typeof s === 'number') return Math.abs(a - s) <= 1e-9 * Math.max(1, Math.abs(a));
  return shape.vartype === 'string' ? a === s : String(a).toLowerCase() === String(s).toLowerCase();
}

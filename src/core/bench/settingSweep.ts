/**
 * A sweep's server settings on the server: checked before anything runs, applied per cell (the
 * benchmark sessions' startup options, or ALTER SYSTEM + reload, or + restart), verified with SHOW,
 * and restored at the end. What ALTER SYSTEM changed is written to an undo file first, so a run
 * that dies (kill -9, a crash, a closed laptop) is repaired by the next sweep on the same server.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from 'pg';
import type { SessionSafety } from '../conn/session';
import { serverVersionNum } from '../conn/session';
import { PgOpsError } from '../errors';
import { writeFileAtomic } from '../report/write';
import { processAlive } from '../sandbox/pgServer';
import type { Restarter } from './serverRestart';
import { quoteIdent, quoteLiteral } from '../sql';
import type { PlanSetting, SettingCell, SettingMethod, SettingShape } from './settingValues';
import { sameSettingValue, settingMethod, settingValueProblem } from './settingValues';

/** A setting of the sweep with what the server said of it before the sweep changed anything. */
export interface SweptSetting extends SettingShape {
  context: string;
  method: SettingMethod;
  values: string[];
  /** SHOW before the sweep */
  original: string;
  /** its line in postgresql.auto.conf before the sweep (null: none); only for system and restart */
  autoConf: string | null;
}

interface SettingRow {
  name: string;
  context: string;
  vartype: string;
  unit: string | null;
  enumvals: string[] | null;
  min_val: string | null;
  max_val: string | null;
  shown: string;
}

const bad = (message: string, hint: string) => new PgOpsError('bench-settings', message, hint);

/** `a.b` as ALTER SYSTEM takes it: every part quoted. */
const settingIdent = (name: string) =>
  name
    .split('.')
    .map((p) => quoteIdent(p))
    .join('.');

/** The entries of postgresql.auto.conf for these names (the last line of a name wins), or why they cannot be read. */
async function autoConfEntries(client: Client, names: string[]): Promise<Map<string, string> | string> {
  try {
    const r = await client.query<{ name: string; setting: string }>(
      `SELECT lower(name) AS name, setting FROM pg_catalog.pg_file_settings
        WHERE sourcefile LIKE '%postgresql.auto.conf' AND lower(name) = ANY($1::text[]) ORDER BY seqno`,
      [names],
    );
    return new Map(r.rows.map((row) => [row.name, row.setting]));
  } catch (err) {
    return (err as Error).message;
  }
}

/** Whether the session's role may set (SET) or change for the server (ALTER SYSTEM) the setting. */
async function mayChange(client: Client, name: string, how: 'SET' | 'ALTER SYSTEM', major: number): Promise<boolean> {
  const sql =
    major >= 15
      ? 'SELECT pg_catalog.has_parameter_privilege($1, $2) AS ok'
      : 'SELECT rolsuper AS ok FROM pg_catalog.pg_roles WHERE rolname = current_user';
  const r = await client.query<{ ok: boolean }>(sql, major >= 15 ? [name, how] : []);
  return r.rows[0]?.ok === true;
}

/**
 * Looks up every setting of the plan in pg_settings and checks it before anything runs: that it
 * exists, every value is one the server takes, how it is applied (a postmaster setting needs
 * `allowRestart`), that the role may change it, and for ALTER SYSTEM what postgresql.auto.conf holds.
 */
export async function prepareSettings(
  client: Client,
  settings: readonly PlanSetting[],
  allowRestart: boolean,
): Promise<SweptSetting[]> {
  const names = settings.map((s) => s.name);
  const r = await client.query<SettingRow>(
    `SELECT name, context, vartype, unit, enumvals, min_val, max_val, pg_catalog.current_setting(name) AS shown
       FROM pg_catalog.pg_settings WHERE name = ANY($1::text[])`,
    [names],
  );
  const major = Math.floor((await serverVersionNum(client)) / 10000);
  const byName = new Map(r.rows.map((row) => [row.name, row]));
  const out: SweptSetting[] = [];
  for (const s of settings) {
    const row = byName.get(s.name);
    if (!row)
      throw bad(
        `The server has no setting ${s.name}`,
        s.name.includes('.')
          ? `An extension's settings exist only while its library is loaded (shared_preload_libraries); check the name with SHOW ${s.name}.`
          : `Check the name with SHOW ${s.name}; pg_settings lists the settings of this server.`,
      );
    const shape: SettingShape = {
      name: row.name,
      vartype: row.vartype,
      unit: row.unit,
      enumvals: row.enumvals,
      min: row.min_val === null ? null : Number(row.min_val),
      max: row.max_val === null ? null : Number(row.max_val),
    };
    for (const v of s.values) {
      const problem = settingValueProblem(shape, v);
      if (problem)
        throw bad(
          `${s.name}=${v}: the value ${problem}`,
          `Give values the server takes for ${s.name} (see pg_settings).`,
        );
    }
    const method = settingMethod(s.name, row.context, s.method, allowRestart);
    const how = method === 'session' ? 'SET' : 'ALTER SYSTEM';
    const needsPrivilege = method !== 'session' || row.context.startsWith('superuser');
    if (needsPrivilege && !(await mayChange(client, s.name, how, major)))
      throw bad(
        `The role ${client.user ?? ''} may not ${how === 'SET' ? 'set' : 'ALTER SYSTEM SET'} ${s.name} (context ${row.context})`,
        major >= 15
          ? `Connect as a superuser, or GRANT ${how} ON PARAMETER ${s.name} TO the role.`
          : 'Connect as a superuser (PostgreSQL before 15 has no per-setting grants).',
      );
    out.push({ ...shape, context: row.context, method, values: [...s.values], original: row.shown, autoConf: null });
  }
  const system = out.filter((s) => s.method !== 'session');
  if (system.length) {
    const entries = await autoConfEntries(
      client,
      system.map((s) => s.name),
    );
    if (typeof entries === 'string')
      throw bad(
        `Cannot read what postgresql.auto.conf holds for ${system.map((s) => s.name).join(', ')}: ${entries}`,
        'pgops changes with ALTER SYSTEM only what it can restore: connect as a superuser, or GRANT SELECT ON pg_file_settings.',
      );
    for (const s of system) s.autoConf = entries.get(s.name) ?? null;
  }
  return out;
}

/** `-c name=value` pairs for a cell's session settings (the benchmark's PGOPTIONS and the check's startup options). */
export function sessionSettings(swept: readonly SweptSetting[], cell: SettingCell): Array<[string, string]> {
  return swept.filter((s) => s.method === 'session').map((s) => [s.name, cell[s.name]]);
}

/** The server-wide settings of a cell that differ from what is in effect now: to ALTER SYSTEM. */
export function serverChanges(
  swept: readonly SweptSetting[],
  cell: SettingCell,
  current: SettingCell | undefined,
): Array<{ setting: SweptSetting; value: string }> {
  return swept
    .filter((s) => s.method !== 'session' && cell[s.name] !== current?.[s.name])
    .map((s) => ({ setting: s, value: cell[s.name] }));
}

export async function alterSystem(client: Client, name: string, value: string | null): Promise<void> {
  await client.query(
    value === null
      ? `ALTER SYSTEM RESET ${settingIdent(name)}`
      : `ALTER SYSTEM SET ${settingIdent(name)} TO ${quoteLiteral(value)}`,
  );
}

export async function reloadConf(client: Client): Promise<void> {
  await client.query('SELECT pg_catalog.pg_reload_conf()');
}

/**
 * SHOW of every setting in a fresh session, polled until each equals its wanted value (a reload
 * reaches the server's processes a moment later) or `waitMs` pass; returns what SHOW said.
 */
export async function showSettings(
  open: (startup: Array<[string, string]>) => Promise<Client>,
  startup: Array<[string, string]>,
  wanted: Array<{ setting: SettingShape; value: string }>,
  waitMs = 10_000,
): Promise<{ shown: Record<string, string>; mismatched: string[] }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const client = await open(startup);
    const shown: Record<string, string> = {};
    try {
      for (const { setting } of wanted) {
        const r = await client.query<{ v: string }>('SELECT pg_catalog.current_setting($1) AS v', [setting.name]);
        shown[setting.name] = r.rows[0].v;
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    const mismatched = wanted.filter((w) => !sameSettingValue(w.setting, w.value, shown[w.setting.name]));
    if (!mismatched.length || Date.now() > deadline)
      return {
        shown,
        mismatched: mismatched.map((w) => `${w.setting.name}: asked ${w.value}, SHOW gives ${shown[w.setting.name]}`),
      };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What an interrupted sweep left in postgresql.auto.conf, to put back at the next start. */
export interface SettingsUndo {
  version: 1;
  server: { host: string; port: number; systemIdentifier: string };
  pid: number;
  hostname: string;
  createdAt: string;
  /** each setting's postgresql.auto.conf entry before the sweep (null: none) */
  settings: Array<{ name: string; autoConf: string | null }>;
}

/** The server's identity for the undo file: its system identifier (one per initdb), else where it listens. */
export async function serverIdentity(client: Client, host: string, port: number): Promise<SettingsUndo['server']> {
  let id = `${host}:${port}`;
  try {
    const r = await client.query<{ id: string }>(
      'SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()',
    );
    if (r.rows[0]?.id) id = r.rows[0].id;
  } catch {
    // older grants: where it listens is the identity then
  }
  return { host, port, systemIdentifier: id };
}

export function undoFile(dir: string, server: SettingsUndo['server']): string {
  const safe = `${server.systemIdentifier}-${server.port}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join(dir, `settings-${safe}.json`);
}

export function writeUndo(dir: string, server: SettingsUndo['server'], swept: readonly SweptSetting[]): string {
  const file = undoFile(dir, server);
  const undo: SettingsUndo = {
    version: 1,
    server,
    pid: process.pid,
    hostname: os.hostname(),
    createdAt: new Date().toISOString(),
    settings: swept.filter((s) => s.method !== 'session').map((s) => ({ name: s.name, autoConf: s.autoConf })),
  };
  writeFileAtomic(file, `${JSON.stringify(undo, null, 2)}\n`, { createFolder: true });
  return file;
}

/**
 * Puts back what an earlier sweep on this server left changed (its undo file), and returns what it
 * restored. A sweep still running on this machine is not interfered with: that is an error.
 */
export async function repairLeftSettings(
  client: Client,
  dir: string,
  server: SettingsUndo['server'],
): Promise<{ restored: string[]; since: string } | undefined> {
  const file = undoFile(dir, server);
  let undo: SettingsUndo;
  try {
    undo = JSON.parse(fs.readFileSync(file, 'utf8')) as SettingsUndo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw bad(
      `Cannot read the undo file ${file}: ${(err as Error).message}`,
      'Restore the settings it names by hand, then delete it.',
    );
  }
  if (undo.pid !== process.pid && undo.hostname === os.hostname() && processAlive(undo.pid))
    throw bad(
      `Another pgops sweep (pid ${undo.pid}, since ${undo.createdAt}) is changing settings of this server`,
      `Wait for it to end. If that process is no pgops, delete ${file} and run again.`,
    );
  for (const s of undo.settings) await alterSystem(client, s.name, s.autoConf);
  await reloadConf(client);
  fs.rmSync(file, { force: true });
  return { restored: undo.settings.map((s) => s.name), since: undo.createdAt };
}

/**
 * Before any sweep: puts back what an interrupted sweep on this server left in postgresql.auto.conf
 * (its undo file), and says so in the notes. Opens no session while the undo folder is empty.
 */
export async function repairInterruptedSweep(
  o: Pick<SweepSettingsOptions, 'open' | 'undoDir' | 'host' | 'port' | 'notes'>,
): Promise<void> {
  const any = fs.existsSync(o.undoDir) && fs.readdirSync(o.undoDir).some((f) => /^settings-.*\.json$/.test(f));
  if (!any) return;
  const client = await o.open(settingsSafety);
  try {
    const repaired = await repairLeftSettings(client, o.undoDir, await serverIdentity(client, o.host, o.port));
    if (repaired)
      o.notes.push(
        `restored ${repaired.restored.join(', ')} in postgresql.auto.conf, left changed by an interrupted sweep of ${repaired.since}`,
      );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Every setting of a sweep checked on the server (see prepareSettings), and how the server restarts
 * when a postmaster setting is swept: what a sweep refuses, refused before anything runs.
 */
export async function checkSweepSettings(
  client: Client,
  o: Pick<SweepSettingsOptions, 'settings' | 'allowRestart' | 'restarter' | 'host' | 'port'>,
): Promise<{ swept: SweptSetting[]; restart: Restarter | undefined }> {
  const swept = await prepareSettings(client, o.settings, o.allowRestart);
  const needRestart = swept.filter((s) => s.method === 'restart').map((s) => s.name);
  const restart = needRestart.length ? await o.restarter(client) : undefined;
  if (typeof restart === 'string')
    throw bad(
      `pgops cannot restart the server at ${o.host}:${o.port} for ${needRestart.join(', ')}: ${restart}`,
      'A postmaster setting needs a server pgops can restart: one on this machine whose data directory it can reach (pg_ctl), such as the sandbox.',
    );
  return { swept, restart };
}

export interface SweepSettingsOptions {
  /** opens a session on the sweep's server; `startup` settings are given at connection start */
  open: (safety: SessionSafety) => Promise<Client>;
  settings: readonly PlanSetting[];
  allowRestart: boolean;
  /** how pgops restarts the server (for postmaster settings), or why it cannot; asked only when one is swept */
  restarter: (client: Client) => Promise<Restarter | string>;
  /** the folder of undo files */
  undoDir: string;
  host: string;
  port: number;
  /** the report's environment notes */
  notes: string[];
}

const settingsSafety: SessionSafety = {
  applicationName: 'pgops bench (settings)',
  statementTimeoutMs: 30_000,
  lockTimeoutMs: 5000,
  readOnly: false,
};

/**
 * The settings of one sweep, from the check before anything runs to the restore at the end. The
 * cells are applied in the schedule's order; `restore` puts every server-wide change back.
 */
export class SweepSettings {
  private current: SettingCell | undefined;
  /** whether any ALTER SYSTEM ran (restore is needed even when a cell failed half-way) */
  private touched = false;
  private undo: string | undefined;
  private readonly log: string[] = [];

  private constructor(
    private readonly o: SweepSettingsOptions,
    readonly swept: SweptSetting[],
    private readonly restart: Restarter | undefined,
  ) {}

  /** Checks every setting; nothing is changed yet (the undo file is written for what will be). */
  static async begin(o: SweepSettingsOptions): Promise<SweepSettings> {
    const client = await o.open(settingsSafety);
    try {
      const server = await serverIdentity(client, o.host, o.port);
      const { swept, restart } = await checkSweepSettings(client, o);
      const settings = new SweepSettings(o, swept, restart);
      if (swept.some((s) => s.method !== 'session')) settings.undo = writeUndo(o.undoDir, server, swept);
      return settings;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** `-c` settings of a cell for the benchmark's sessions. */
  startup(cell: SettingCell): Array<[string, string]> {
    return sessionSettings(this.swept, cell);
  }

  /**
   * Makes the cell's values the ones in effect, and checks each with SHOW in a session opened like the
   * benchmark's. Returns SHOW's values, and whether the server restarted (sessions open before are gone).
   */
  async apply(cell: SettingCell, signal?: AbortSignal): Promise<{ shown: Record<string, string>; restarted: boolean }> {
    const changes = serverChanges(this.swept, cell, this.current);
    const restarted = await this.change(changes.map((c) => ({ setting: c.setting, value: c.value })));
    this.current = cell;
    if (signal?.aborted) return { shown: {}, restarted };
    const wanted = this.swept.map((s) => ({ setting: s, value: cell[s.name] }));
    const { shown, mismatched } = await showSettings(
      (startup) => this.o.open({ ...settingsSafety, readOnly: true, settings: startup }),
      this.startup(cell),
      wanted,
    );
    if (mismatched.length)
      throw bad(
        `The benchmark's sessions would not run with the cell's settings: ${mismatched.join('; ')}`,
        'A setting of the role or database (ALTER ROLE/DATABASE … SET) or a server-wide one overrides it; see pg_db_role_setting.',
      );
    return { shown, restarted };
  }

  /** ALTER SYSTEM for each change, then one reload (or restart, for postmaster settings). */
  private async change(changes: Array<{ setting: SweptSetting; value: string | null }>): Promise<boolean> {
    if (!changes.length) return false;
    const client = await this.o.open(settingsSafety);
    this.touched = true;
    try {
      for (const c of changes) await alterSystem(client, c.setting.name, c.value);
      await reloadConf(client);
    } finally {
      await client.end().catch(() => undefined);
    }
    if (!changes.some((c) => c.setting.method === 'restart')) return false;
    await this.restart!.run();
    return true;
  }

  /**
   * Puts postgresql.auto.conf back as it was, reloads (or restarts) and checks that SHOW gives the
   * values from before the sweep; the undo file goes only when that worked. Returns what it did.
   */
  async restore(): Promise<string[]> {
    const system = this.swept.filter((s) => s.method !== 'session');
    if (!system.length || !this.touched) {
      if (this.undo) fs.rmSync(this.undo, { force: true });
      return this.describe('nothing to restore');
    }
    try {
      await this.change(system.map((s) => ({ setting: s, value: s.autoConf })));
      this.current = undefined;
      const { mismatched } = await showSettings(
        (startup) => this.o.open({ ...settingsSafety, readOnly: true, settings: startup }),
        [],
        system.map((s) => ({ setting: s, value: s.original })),
      );
      if (mismatched.length) return this.describe(`restored in postgresql.auto.conf, but ${mismatched.join('; ')}`);
      if (this.undo) fs.rmSync(this.undo, { force: true });
      return this.describe('restored');
    } catch (err) {
      return this.describe(
        `NOT restored (${(err as Error).message}); the next sweep on this server restores it from ${this.undo}`,
      );
    }
  }

  private describe(outcome: string): string[] {
    this.log.length = 0;
    for (const s of this.swept) {
      const how =
        s.method === 'session'
          ? 'the benchmark sessions’ startup options (PGOPTIONS)'
          : s.method === 'system'
            ? 'ALTER SYSTEM + pg_reload_conf()'
            : `ALTER SYSTEM + restart (${this.restart?.describe ?? ''})`;
      const end = s.method === 'session' ? 'nothing changed on the server' : outcome;
      this.log.push(
        `${s.name} (context ${s.context}) = ${s.values.join(', ')} through ${how}; before: ${s.original}; ${end}`,
      );
    }
    return [...this.log];
  }
}

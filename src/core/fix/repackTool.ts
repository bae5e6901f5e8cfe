/**
 * pg_repack as pgops drives it: the program and its version, the extension in the database, the
 * advisory lock by which one repack keeps others off a table, and the phases read from its --echo output.
 */
import { execFileSync } from 'node:child_process';
import { findPgProgram } from '../bench/findPgbench';
import type { Queryable } from '../diag/queryable';
import { num } from '../diag/queryable';

/** pg_repack's advisory lock: pg_try_advisory_lock(16185446, -2147483648 + table oid) while it works on a table. */
export const repackLockClass = 16185446;

/** The objid pg_locks shows for that lock: the second key, a signed int, read back as an unsigned oid. */
export function repackLockObjid(tableOid: number): number {
  return (tableOid + 2 ** 31) % 2 ** 32;
}

export interface RepackProgram {
  path: string;
  /** "1.4.8", from `pg_repack --version`; null when it cannot run. */
  version: string | null;
  /** What --version printed, or why it failed. */
  versionText: string;
}

const install =
  "Install pg_repack for the server's major version (Debian/Ubuntu: apt-get install postgresql-<major>-repack), or set pgops.fix.pgRepackPath (--pg-repack).";

/** The pg_repack program (setting, PATH, pg_config, /usr/lib/postgresql/<server major>/bin first) and its version. */
export function findRepackProgram(
  opts: { setting?: string; serverMajor?: number; env?: NodeJS.ProcessEnv } = {},
): RepackProgram {
  const found = findPgProgram('pg_repack', {
    setting: opts.setting,
    settingName: 'pgops.fix.pgRepackPath (or --pg-repack)',
    preferMajor: opts.serverMajor,
    env: opts.env,
    install,
  });
  try {
    const text = execFileSync(found.path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    return { path: found.path, version: /(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null, versionText: text };
  } catch (err) {
    return {
      path: found.path,
      version: null,
      versionText: `${found.path} --version failed: ${(err as Error).message}`,
    };
  }
}

export interface RepackExtension {
  /** extversion of the installed extension, null when it is not created in this database. */
  installed: string | null;
  /** default_version in pg_available_extensions: null when the server has no pg_repack at all. */
  available: string | null;
  /** The session's role may run pg_repack (a superuser; pgops never passes --no-superuser-check). */
  superuser: boolean;
}

export async function repackExtension(client: Queryable): Promise<RepackExtension> {
  const r = (
    await client.query(
      `SELECT (SELECT e.extversion::text FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_repack') AS installed,
         (SELECT a.default_version::text FROM pg_catalog.pg_available_extensions a WHERE a.name = 'pg_repack') AS available,
         (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) AS superuser`,
    )
  ).rows[0];
  return {
    installed: (r.installed as string | null) ?? null,
    available: (r.available as string | null) ?? null,
    superuser: !!r.superuser,
  };
}

/** Backends holding pg_repack's advisory lock on the table: a repack runs on it (or its killed client's backend lingers). */
export async function repackLockHolders(client: Queryable, tableOid: number): Promise<number[]> {
  const r = await client.query(
    `SELECT l.pid FROM pg_catalog.pg_locks l
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int8::oid AND l.objid = $2::int8::oid AND l.objsubid = 2
       AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())`,
    [repackLockClass, repackLockObjid(tableOid)],
  );
  return r.rows.map((x) => num(x.pid));
}

export type RepackPhase =
  | 'starting'
  | 'locking'
  | 'setting up'
  | 'copying'
  | 'indexing'
  | 'applying changes'
  | 'swapping'
  | 'dropping the old copy'
  | 'analyzing'
  | 'done';

/** The statements of pg_repack's --echo output that start a phase, in the order it runs them. */
const phaseMarks: Array<[RegExp, RepackPhase]> = [
  [/^LOCK TABLE .* IN ACCESS EXCLUSIVE MODE/, 'locking'],
  [/^CREATE TYPE repack\.pk_|^CREATE TABLE repack\.log_|^CREATE TRIGGER repack_trigger/, 'setting up'],
  [/^INSERT INTO repack\.table_/, 'copying'],
  [/^CREATE (UNIQUE )?INDEX (CONCURRENTLY )?index_\d+/, 'indexing'],
  [/^SELECT repack\.repack_apply\(/, 'applying changes'],
  [/^SELECT repack\.repack_(index_)?swap\(/, 'swapping'],
  [/^SELECT repack\.repack_drop\(|^DROP INDEX CONCURRENTLY/, 'dropping the old copy'],
  [/^ANALYZE /, 'analyzing'],
  [/^SELECT pg_advisory_unlock\(/, 'done'],
];

/** The phase a line of pg_repack's output (with --echo) starts, or null. */
export function repackPhaseOf(line: string): RepackPhase | null {
  const m = /^LOG: \(query\) (.*)$/.exec(line);
  if (!m) return null;
  for (const [re, phase] of phaseMarks) if (re.test(m[1])) return phase;
  return null;
}

/**
 * The outcome pg_repack reports in its own words. It exits 0 when it skips a table after --wait-timeout with
 * --no-kill-backend ("Skipping repack … due to timeout"), so pgops reads the output to know it gave up.
 */
export function repackOutcome(
  output: string,
  exitCode: number | null,
): { ok: boolean; abandoned: boolean; message: string } {
  const lines = output.split(/\r?\n/).filter((l) => !/^LOG: /.test(l) && !/^\s+\(param/.test(l) && l.trim());
  const skipped = lines.find((l) => /Skipping repack .* due to timeout/.test(l));
  if (skipped)
    return {
      ok: false,
      abandoned: true,
      message: `pg_repack gave up waiting for its lock (--wait-timeout) and left the table as it was: ${skipped.replace(/^INFO:\s*/, '')}`,
    };
  const error = lines.find((l) => /^(ERROR|FATAL):/.test(l) || /pg_repack failed/.test(l));
  if (exitCode !== 0 || error)
    return {
      ok: false,
      abandoned: false,
      message: `pg_repack failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${error ?? lines.at(-1) ?? 'no output'}`,
    };
  const warning = lines.find((l) => /^WARNING:/.test(l));
  if (warning) return { ok: false, abandoned: false, message: `pg_repack stopped with a warning: ${warning}` };
  return { ok: true, abandoned: false, message: 'pg_repack finished' };
}

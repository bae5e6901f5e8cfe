import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';

export interface PgbenchLocation {
  path: string;
  /** How it was found, for the log and the report. */
  via: 'setting' | 'bin-dir' | 'PATH' | 'pg_config' | 'system';
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, envPath: string | undefined): string | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** Where to look for a PostgreSQL client program, and what to tell the user when it is nowhere. */
export interface ProgramSearch {
  /** An explicit path (a setting or a flag): used as it is, or refused. */
  setting?: string;
  /** The setting's names, for the refusal: "pgops.pgbenchPath (or --pgbench)". */
  settingName?: string;
  /** A server's own bin directory, searched first. */
  binDir?: string;
  /** The server's major version: its /usr/lib/postgresql/<major>/bin comes before the newest one. */
  preferMajor?: number;
  env?: NodeJS.ProcessEnv;
  systemRoot?: string;
  /** How to install it, for the error. */
  install?: string;
}

/**
 * A PostgreSQL client program, looked up in this order: the setting, `binDir`, PATH, `pg_config --bindir`,
 * then /usr/lib/postgresql/<preferMajor>/bin and the newest /usr/lib/postgresql/<major>/bin.
 */
export function findPgProgram(name: string, opts: ProgramSearch = {}): PgbenchLocation {
  const env = opts.env ?? process.env;
  if (opts.setting) {
    if (!executable(opts.setting)) {
      throw new PgOpsError(
        name,
        `The configured ${name} "${opts.setting}" is not an executable file`,
        `Fix the setting ${opts.settingName ?? 'for it'}, or clear it to search PATH.`,
      );
    }
    return { path: opts.setting, via: 'setting' };
  }
  if (opts.binDir && executable(path.join(opts.binDir, name)))
    return { path: path.join(opts.binDir, name), via: 'bin-dir' };
  const fromPath = onPath(name, env.PATH);
  if (fromPath) return { path: fromPath, via: 'PATH' };
  const pgConfig = onPath('pg_config', env.PATH);
  if (pgConfig) {
    try {
      const bindir = execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim();
      if (executable(path.join(bindir, name))) return { path: path.join(bindir, name), via: 'pg_config' };
    } catch {
      // a broken pg_config is no reason to stop looking
    }
  }
  const root = opts.systemRoot ?? '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const preferred = opts.preferMajor === undefined ? [] : [String(opts.preferMajor)];
  for (const major of [...preferred, ...majors]) {
    const candidate = path.join(root, major, 'bin', name);
    if (executable(candidate)) return { path: candidate, via: 'system' };
  }
  throw new PgOpsError(
    name,
    `${name} was not found (${opts.settingName ? 'setting, ' : ''}PATH, pg_config --bindir, ${root}/*/bin)`,
    opts.install ?? `Install ${name}${opts.settingName ? ` or set ${opts.settingName}` : ''}.`,
  );
}

/**
 * pgbench, looked up in this order: the setting (pgops.pgbenchPath / --pgbench), `binDir` (a server's own
 * bin directory, e.g. the sandbox's when it has one), PATH, `pg_config --bindir`, then the newest
 * /usr/lib/postgresql/<major>/bin.
 */
export function findPgbench(
  opts: { setting?: string; binDir?: string; env?: NodeJS.ProcessEnv; systemRoot?: string } = {},
): PgbenchLocation {
  return findPgProgram('pgbench', {
    ...opts,
    settingName: 'pgops.pgbenchPath (or --pgbench)',
    install:
      'Install pgbench from any PostgreSQL installation (Debian/Ubuntu: apt-get install postgresql-15 or postgresql-contrib) or set pgops.pgbenchPath.',
  });
}

/** `pgbench --version`, or the error text when it cannot run: the configured pgbench, never a program a plan names. */
export function pgbenchVersionOf(pgbenchPath: string): string {
  try {
    return execFileSync(pgbenchPath, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (err) {
    return `Error: ${pgbenchPath} --version failed: ${(err as Error).message}`;
  }
}

/**
 * pgbench and pg_repack sign in with their own libpq: pgops can hand them a password (through a temporary
 * pgpass), but not an OAuth token, so a target that needs OAuth is refused before anything runs.
 */
export function checkProgramCanSignIn(program: 'pgbench' | 'pg_repack', authMethod: string, where: string): void {
  if (authMethod !== 'oauth') return;
  throw new PgOpsError(
    `${program === 'pgbench' ? 'bench' : 'fix'}-oauth`,
    `${program} cannot sign in to ${where}: the server wants an OAuth token, which pgops cannot pass to ${program}`,
    `${program === 'pgbench' ? 'Benchmark' : 'Run it'} as a role whose pg_hba line uses a password or a client certificate (${program}'s ` +
      'libpq would otherwise run its own device flow, or none at all before libpq 18).',
  );
}

export function checkPgbenchCanSignIn(authMethod: string, where: string): void {
  checkProgramCanSignIn('pgbench', authMethod, where);
}

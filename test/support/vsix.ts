/**
 * The artifact users install: `npm run package` makes the `.vsix` (into a folder of the caller's, never the
 * repo root), code-server installs it into a profile's extensions dir (`--install-extension`), and the tests
 * read what it holds. No `vscode` import: the vscode tier (plain node) and the in-host suite both use this.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { CodeServerInstall, Profile } from './codeServer';

/**
 * Runs the repo's `package` script (vsce, which first runs `vscode:prepublish`: the production bundle in
 * dist/) with `--out FILE`. Its long listing goes to `<FILE>.log`; a failure shows the log's tail.
 */
export function packageVsix(repo: string, file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const logFile = `${file}.log`;
  const fd = fs.openSync(logFile, 'w');
  let r: ReturnType<typeof spawnSync>;
  try {
    r = spawnSync('npm', ['run', 'package', '--', '--out', file], { cwd: repo, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (r.status !== 0 || !fs.existsSync(file)) {
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-25).join('\n');
    throw new Error(`npm run package failed (${r.error?.message ?? `exit ${r.status}`}); ${logFile}:\n${tail}`);
  }
  return file;
}

/**
 * Installs a `.vsix` the way a user does (`code-server --install-extension`) into the profile's extensions
 * dir and returns the folder VS Code unpacked it into, as recorded in that dir's extensions.json.
 */
export function installVsix(install: CodeServerInstall, profile: Profile, vsix: string): string {
  const extensionId = vsixExtensionId(vsix);
  const args = [
    install.entry,
    // Its own config file: without one code-server writes a default into ~/.config/code-server.
    '--config',
    path.join(path.dirname(profile.userDataDir), 'code-server.yaml'),
    '--user-data-dir',
    profile.userDataDir,
    '--extensions-dir',
    profile.extensionsDir,
    '--install-extension',
    vsix,
  ];
  const r = spawnSync(install.nodeBin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${output}`);
  const dir = installedExtensionDir(profile.extensionsDir, extensionId);
  if (!dir)
    throw new Error(`code-server installed ${vsix} but extensions.json does not list ${extensionId}:\n${output}`);
  return dir;
}

/** `publisher.name` of the extension a `.vsix` holds, from its package.json. */
export function vsixExtensionId(vsix: string): string {
  const manifest = zipEntries(vsix).find((e) => e.name === 'extension/package.json');
  if (!manifest) throw new Error(`${vsix} holds no extension/package.json`);
  const { publisher, name } = JSON.parse(manifest.read().toString('utf8')) as { publisher: string; name: string };
  return `${publisher}.${name}`;
}

/** The folder of an installed extension, from the extensions dir's own record (extensions.json). */
export function installedExtensionDir(extensionsDir: string, extensionId: string): string | undefined {
  const manifest = path.join(extensionsDir, 'extensions.json');
  if (!fs.existsSync(manifest)) return undefined;
  const entries = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Array<{
    identifier: { id: string };
    location: { fsPath?: string; path: string };
    metadata?: { source?: string };
  }>;
  const entry = entries.find((e) => e.identifier.id.toLowerCase() === extensionId.toLowerCase());
  return entry ? (entry.location.fsPath ?? entry.location.path) : undefined;
}

export interface ZipEntry {
  name: string;
  size: number;
  /** The entry's bytes, inflated. */
  read(): Buffer;
}

/** The entries of a zip file (a `.vsix`), from its central directory. Zip64 archives are not supported. */
export function zipEntries(file: string): ZipEntry[] {
  const zip = fs.readFileSync(file);
  // The end-of-central-directory record: the last signature within the final 64 KiB (+ 22 bytes).
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--)
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end-of-central-directory record)`);
  const count = zip.readUInt16LE(eocd + 10);
  const entries: ZipEntry[] = [];
  for (let i = 0, at = zip.readUInt32LE(eocd + 16); i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    entries.push({
      name,
      size,
      read: () => {
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const data = zip.subarray(start, start + compressed);
        if (method === 0) return Buffer.from(data);
        if (method === 8) return zlib.inflateRawSync(data);
        throw new Error(`${file}: ${name} uses zip method ${method}`);
      },
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Keys of package.json (anywhere under `contributes`, or at its top) whose string values name a file of the extension. */
const fileKeys = new Set([
  'main',
  'browser',
  'icon',
  'path',
  'url',
  'image',
  'markdown',
  'svg',
  'light',
  'dark',
  'l10n',
]);

/**
 * The files a manifest points at (its entry, icons, snippets, schemas, walkthrough media, …), as paths relative
 * to the extension's folder: every one must be in the package. Codicons (`$(name)`), URLs and globs are not files.
 */
export function manifestFiles(manifest: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      if (fileKeys.has(key) && !/^\$\(|^[a-z][\w+.-]*:|[*?{]/i.test(value)) found.add(path.posix.normalize(value));
    } else if (Array.isArray(value)) for (const v of value) visit(v, key);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) visit(v, ['light', 'dark', 'icon', 'image'].includes(key) ? key : k);
  };
  for (const key of ['main', 'browser', 'icon', 'l10n']) visit(manifest[key], key);
  visit(manifest.contributes, 'contributes');
  if (JSON.stringify(manifest).match(/"%[\w.-]+%"/)) found.add('package.nls.json');
  return [...found].sort();
}

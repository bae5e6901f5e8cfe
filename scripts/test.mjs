// npm test: every tier in order, then one closing line `N passed, N failed[, N skipped]`
// summing all of them. Exits non-zero when anything failed. `node scripts/test.mjs unit integration`
// runs only the named tiers; `--grep PATTERN` narrows the mocha tiers.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensurePackages, testPackages } from './prerequisites.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const args = process.argv.slice(2);
const grepAt = args.indexOf('--grep');
const grep = grepAt >= 0 ? args.splice(grepAt, 2)[1] : undefined;
const allTiers = ['static', 'unit', 'integration', 'vscode'];
const tiers = args.length ? args : allTiers;
for (const t of tiers)
  if (!allTiers.includes(t)) {
    console.error(`unknown tier "${t}"; tiers: ${allTiers.join(', ')}`);
    process.exit(2);
  }

const totals = { passed: 0, failed: 0, skipped: 0 };
if (tiers.some((t) => t !== 'static') && !ensurePackages(testPackages)) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-test-results-'));

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...opts.env } });
  return r.status === 0;
}

function check(name, cmd, cmdArgs) {
  console.log(`\n── ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  const ok = run(cmd, cmdArgs);
  totals[ok ? 'passed' : 'failed'] += 1;
  console.log(ok ? `  ✔ ${name}` : `  ✘ ${name} failed`);
  return ok;
}

function mochaTier(tier) {
  console.log(`\n── ${tier} tier`);
  const file = path.join(resultsDir, `${tier}.json`);
  const mochaArgs = [path.join(root, 'out', 'test', 'support', 'mochaTier.js'), tier, file];
  if (grep) mochaArgs.push(grep);
  const ok = run(process.execPath, mochaArgs);
  if (!fs.existsSync(file)) {
    console.log(`  ✘ ${tier} tier did not report results (it crashed before or while loading its tests; see above)`);
    totals.failed += 1;
    return;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  totals.passed += r.passed;
  totals.failed += r.failed;
  totals.skipped += r.skipped;
  if (!ok && r.failed === 0) totals.failed += 1;
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
let compiled = false;
if (tiers.includes('static')) {
  compiled = check('typecheck (tsc, strict) and compile tests', bin('tsc'), ['-p', 'tsconfig.test.json']);
  check('lint (eslint, type-checked; src/core must not import vscode)', bin('eslint'), ['.']);
  check('format (prettier --check, 120 columns)', bin('prettier'), ['--check', '--log-level', 'warn', '.']);
  check('line length (no source line over 160 characters)', process.execPath, ['scripts/lineLength.mjs']);
  check('bundle (esbuild: extension, cli, webviews)', process.execPath, ['scripts/build.mjs']);
}
if (!compiled && tiers.some((t) => t !== 'static')) {
  console.log('\n── compiling tests');
  if (!run(bin('tsc'), ['-p', 'tsconfig.test.json'])) {
    totals.failed += 1;
  }
}
if (tiers.includes('vscode') && !tiers.includes('static')) run(process.execPath, ['scripts/build.mjs']);
for (const tier of ['unit', 'integration']) if (tiers.includes(tier)) mochaTier(tier);
if (tiers.includes('vscode')) {
  const runner = path.join(root, 'out', 'test', 'support', 'vscodeTier.js');
  if (fs.existsSync(runner)) mochaTierVia(runner);
  else {
    totals.failed += 1;
    console.log(
      `\n── vscode tier\n  ✘ ${runner} is missing: the test compile (tsc -p tsconfig.test.json) failed or did not run`,
    );
  }
}

function mochaTierVia(runner) {
  console.log('\n── vscode tier (code-server + Chromium)');
  const file = path.join(resultsDir, 'vscode.json');
  const ok = run(process.execPath, [runner, file, ...(grep ? [grep] : [])]);
  if (!fs.existsSync(file)) {
    totals.failed += 1;
    console.log('  ✘ vscode tier did not report results');
    return;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  totals.passed += r.passed;
  totals.failed += r.failed;
  totals.skipped += r.skipped;
  if (!ok && r.failed === 0) totals.failed += 1;
}

fs.rmSync(resultsDir, { recursive: true, force: true });
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);

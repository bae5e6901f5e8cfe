/**
 * Runs one mocha tier in this process and writes its counts to a JSON file for scripts/test.mjs,
 * which adds every tier into the closing `N passed, N failed` line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { mochaHooks } from './integrationHooks';

function collect(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return collect(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}

async function main(): Promise<void> {
  const [tier, resultFile, grep] = process.argv.slice(2);
  const outRoot = path.resolve(__dirname, '..');
  const mocha = new Mocha({
    reporter: 'spec',
    timeout: tier === 'unit' ? 10_000 : 120_000,
    color: !!process.stdout.isTTY,
    grep,
  });
  if (tier === 'integration') mocha.rootHooks(mochaHooks);
  const files = collect(path.join(outRoot, tier)).sort();
  if (files.length === 0) throw new Error(`no test files under ${path.join(outRoot, tier)}`);
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const runner = mocha.run();
  await new Promise<void>((resolve) => runner.on('end', () => resolve()));
  const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
  fs.writeFileSync(
    resultFile,
    JSON.stringify({ tier, passed: stats.passes, failed: stats.failures, skipped: stats.pending }),
  );
  process.exitCode = stats.failures > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

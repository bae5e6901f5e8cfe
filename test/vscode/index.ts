/**
 * Entry of the in-host suite: every `*.test.js` under out/test/vscode (except ui/, which drives the
 * workbench from outside) runs with mocha inside a real extension host. Adding a test file here is all
 * a feature needs to do. `untrusted/` holds the Restricted Mode suite: it runs alone, in a second VS Code
 * that opens an untrusted folder (`suite = 'untrusted'`). Two launchers call in:
 *  - code-server (npm test): a small runner extension calls runInHost(), which writes the results file;
 *  - @vscode/test-electron (runElectron.ts): VS Code calls run(), which rejects when a test failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'skipped';
  durationMs?: number;
  error?: string;
}

/** What the suite reports to the runner outside VS Code. */
export interface HostResults {
  passed: number;
  failed: number;
  skipped: number;
  tests: TestOutcome[];
  /** Set when the suite could not load or run at all. */
  crash?: string;
}

/** Which in-host suite: the main one (a trusted workspace) or the Restricted Mode one (an untrusted folder). */
export type HostSuite = 'main' | 'untrusted';

function collect(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'ui' || e.name === 'untrusted' ? [] : collect(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}

export async function runSuite(
  grep?: string,
  onTest: (t: TestOutcome) => void = () => undefined,
  suite: HostSuite = 'main',
): Promise<HostResults> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 600_000, color: false, reporter: 'spec', grep });
  const dir = suite === 'untrusted' ? path.join(__dirname, 'untrusted') : __dirname;
  const files = (
    suite === 'untrusted'
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.test.js'))
          .map((f) => path.join(dir, f))
      : collect(dir)
  ).sort();
  if (files.length === 0) throw new Error(`no in-host test files under ${dir}`);
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  const tests: TestOutcome[] = [];
  const record = (t: TestOutcome): void => {
    tests.push(t);
    onTest(t);
  };
  const runner = mocha.run();
  runner.on('pass', (t) => record({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
  runner.on('fail', (t, err: Error) =>
    record({ title: t.fullTitle(), state: 'failed', error: err?.stack ?? String(err) }),
  );
  runner.on('pending', (t) => record({ title: t.fullTitle(), state: 'skipped' }));
  await new Promise<void>((resolve) => runner.on('end', () => resolve()));
  const count = (s: TestOutcome['state']): number => tests.filter((t) => t.state === s).length;
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), tests };
}

/**
 * code-server launcher: never throws; each finished test is appended to `<resultFile>.progress` as it
 * happens (one JSON line), and the results file is written in every case (atomically, so the driver
 * never reads half of it).
 */
export async function runInHost(resultFile: string, grep?: string, suite: HostSuite = 'main'): Promise<void> {
  let results: HostResults;
  try {
    results = await runSuite(grep, (t) => fs.appendFileSync(`${resultFile}.progress`, `${JSON.stringify(t)}\n`), suite);
  } catch (err) {
    results = {
      passed: 0,
      failed: 1,
      skipped: 0,
      tests: [],
      crash: err instanceof Error ? (err.stack ?? err.message) : String(err),
    };
  }
  fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify(results));
  fs.renameSync(`${resultFile}.tmp`, resultFile);
}

/** @vscode/test-electron launcher (extensionTestsPath); PGOPS_TEST_GREP narrows the run. */
export async function run(): Promise<void> {
  const results = await runSuite(process.env.PGOPS_TEST_GREP || undefined);
  for (const t of results.tests)
    console.log(
      `${t.state === 'passed' ? '✔' : t.state === 'failed' ? '✘' : '-'} ${t.title}${t.error ? `\n${t.error}` : ''}`,
    );
  if (results.failed > 0) throw new Error(`${results.failed} in-host test(s) failed`);
}

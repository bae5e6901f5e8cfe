import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/command';
import { terminalSafe } from '../../src/cli/output';

export function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd: process.cwd() };
}

describe('pgops command line', () => {
  it('prints help with every command and exits 0 on --help', async () => {
    const io = captureIo();
    assert.equal(await main(['--help'], io), 0);
    assert.match(io.stdout.join('\n'), /Commands:\n\s+sandbox/);
  });

  it('exits 2 with the usage on an unknown command or flag', async () => {
    const io = captureIo();
    assert.equal(await main(['frobnicate'], io), 2);
    assert.match(io.stderr.join('\n'), /unknown command "frobnicate"/);
    const io2 = captureIo();
    assert.equal(await main(['sandbox', 'status', '--bogus'], io2), 2);
    assert.match(io2.stderr.join('\n'), /Unknown option '--bogus'[\s\S]*Usage: pgops sandbox/);
  });

  it("prints package.json's version on --version, from the sources and from the bundle", async () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const io = captureIo();
    assert.equal(await main(['--version'], io), 0);
    assert.deepEqual(io.stdout, [version]);
    const bundle = path.join(root, 'dist', 'cli.js');
    assert.ok(fs.existsSync(bundle), `${bundle} is missing: run npm run build (npm test builds it first)`);
    // a copy outside the repository has no package.json above it: the version must be in the bundle
    const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-cli-'));
    try {
      fs.copyFileSync(bundle, path.join(lone, 'cli.js'));
      assert.equal(
        execFileSync(process.execPath, [path.join(lone, 'cli.js'), '--version'], { encoding: 'utf8' }).trim(),
        version,
      );
    } finally {
      fs.rmSync(lone, { recursive: true, force: true });
    }
  });

  it('refuses a sandbox reset without --force (exit 2)', async () => {
    const io = captureIo();
    assert.equal(await main(['sandbox', 'reset', '--dir', '/tmp/pgops-never-created'], io), 2);
    assert.match(io.stderr.join('\n'), /--force/);
  });

  it('prints control characters as visible \\uXXXX escapes, and --json output stays the same JSON', async () => {
    const hostile = 'a\u001b[2J\u009b31m\u202eb\u0007\r\tc\nd';
    assert.equal(terminalSafe(hostile), 'a\\u001b[2J\\u009b31m\\u202eb\\u0007\\u000d\tc\nd');
    const json = JSON.stringify({ k: hostile, '\u009b': ['\u2066x'] });
    assert.deepEqual(JSON.parse(terminalSafe(json)), JSON.parse(json));
    const io = captureIo();
    assert.equal(await main([`frob\u001b]0;title\u0007`], io), 2);
    assert.match(io.stderr.join('\n'), /unknown command "frob\\u001b\]0;title\\u0007"/);
  });
});

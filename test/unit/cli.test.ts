import * as assert from 'node:assert/strict';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/command';

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

  it('refuses a sandbox reset without --force (exit 2)', async () => {
    const io = captureIo();
    assert.equal(await main(['sandbox', 'reset', '--dir', '/tmp/pgops-never-created'], io), 2);
    assert.match(io.stderr.join('\n'), /--force/);
  });
});

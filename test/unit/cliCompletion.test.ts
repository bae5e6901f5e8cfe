import * as assert from 'node:assert/strict';
import type { CliCommand } from '../../src/cli/command';
import { completionEntries, completionScript } from '../../src/cli/completion';
import { commands } from '../../src/cli/main';

const command = (name: string, options: CliCommand['options'], actions?: string[]): CliCommand => ({
  name,
  summary: "it's a test: with a colon",
  usage: name,
  options,
  actions,
  run: () => Promise.resolve(0),
});

describe('shell completion from the command table', () => {
  it('lists every command of the table with its actions and flags, short ones included', () => {
    const entries = completionEntries(commands);
    assert.deepEqual(
      entries.map((e) => e.name),
      commands.map((c) => c.name),
    );
    const bench = entries.find((e) => e.name === 'bench');
    assert.ok(bench);
    assert.ok(bench.flags.includes('-j') && bench.flags.includes('--threads') && bench.flags.includes('--help'));
    assert.ok(bench.valueFlags.includes('--out') && !bench.valueFlags.includes('--no-vacuum'));
    assert.deepEqual(entries.find((e) => e.name === 'completion')?.actions, ['bash', 'zsh']);
  });

  it('refuses a name that is not a plain word, so no script can carry shell syntax', () => {
    assert.throws(
      () => completionEntries([command('x', { 'a$(reboot)': { type: 'boolean' } })]),
      /"--a\$\(reboot\)" is not a plain command or flag name/,
    );
    assert.throws(() => completionEntries([command('x', {}, ['a b'])]), /"a b" is not a plain/);
  });

  it('quotes summaries for zsh: quotes and colons stay text', () => {
    const zsh = completionScript('zsh', [command('demo', { out: { type: 'string' } })]);
    assert.ok(zsh.includes(`'demo:it'\\''s a test\\: with a colon'`), zsh);
  });
});

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { confirmationMatches, needsTypedConfirmation } from '../../src/core/conn/production';

const root = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

/** Core functions that write to or signal a server; an action added later joins this list. */
const serverWrites: Array<{ name: string; file: string }> = [
  { name: 'resetStatements', file: 'src/core/diag/statements.ts' },
  { name: 'dropSlot', file: 'src/core/diag/replication.ts' },
  { name: 'runSweep', file: 'src/core/bench/sweep.ts' },
];

describe('conn: production confirmation rule', () => {
  it('asks for the typed name only on production profiles', () => {
    assert.equal(needsTypedConfirmation({ production: true }), true);
    assert.equal(needsTypedConfirmation({ production: false }), false);
    assert.equal(needsTypedConfirmation({}), false);
  });

  it('accepts exactly the profile name (surrounding spaces ignored, case kept)', () => {
    const p = { name: 'Billing Prod' };
    assert.equal(confirmationMatches(p, 'Billing Prod'), true);
    assert.equal(confirmationMatches(p, '  Billing Prod '), true);
    assert.equal(confirmationMatches(p, 'billing prod'), false);
    assert.equal(confirmationMatches(p, 'Billing'), false);
    assert.equal(confirmationMatches(p, ''), false);
    assert.equal(confirmationMatches(p, undefined), false);
  });

  it('is applied in one place: only src/extension/confirm.ts reads the rule, and every extension file that writes to a server confirms through it', () => {
    for (const w of serverWrites) {
      assert.match(
        fs.readFileSync(path.join(root, w.file), 'utf8'),
        new RegExp(`export async function ${w.name}\\(`),
        `${w.name} is still in ${w.file}`,
      );
    }
    const files = sources(path.join(root, 'src', 'extension')).filter(
      (f) => !f.endsWith(path.join('extension', 'confirm.ts')),
    );
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const name = path.relative(root, file);
      assert.doesNotMatch(
        text,
        /core\/conn\/production/,
        `${name} decides about production itself: ask through requireWriteConfirmation (src/extension/confirm.ts)`,
      );
      const writes = serverWrites.filter((w) => new RegExp(`\\b${w.name}\\(`).test(text));
      if (writes.length) {
        assert.match(
          text,
          /\brequireWriteConfirmation\(|\bconfirmWrite\(/,
          `${name} calls ${writes.map((w) => w.name).join(', ')} without asking through src/extension/confirm.ts`,
        );
      }
    }
  });
});

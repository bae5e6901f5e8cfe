import * as assert from 'node:assert/strict';
import { shellCommandLine, shellQuote } from '../../src/core/shell';

describe('shell quoting', () => {
  it('leaves plain words as they are and puts anything else in single quotes', () => {
    assert.equal(shellQuote('--table="public"."Orders"'), `'--table="public"."Orders"'`);
    assert.equal(shellQuote('--wait-timeout=60'), '--wait-timeout=60');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), `''`);
    assert.equal(shellQuote('a\nb $(x) `y` \\ ~ *'), `'a\nb $(x) \`y\` \\ ~ *'`);
  });

  it('quotes a NAME=value word so that it can never be read as an assignment, and refuses NUL', () => {
    assert.equal(
      shellCommandLine(['LD_PRELOAD=/tmp/x.so', 'pgbench', '-c', '4']),
      `'LD_PRELOAD=/tmp/x.so' pgbench -c 4`,
    );
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  });
});

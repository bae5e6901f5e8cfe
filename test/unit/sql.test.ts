import * as assert from 'node:assert/strict';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../src/core/sql';

describe('identifier quoting', () => {
  it('wraps names in double quotes and doubles embedded quotes', () => {
    assert.equal(quoteIdent('pgbench_accounts'), '"pgbench_accounts"');
    assert.equal(quoteIdent('we"ird'), '"we""ird"');
    assert.equal(quoteQualified('public', 'Mixed Case'), '"public"."Mixed Case"');
  });

  it('refuses empty names and NUL bytes', () => {
    assert.throws(() => quoteIdent(''), /empty/);
    assert.throws(() => quoteIdent('a\0b'), /NUL/);
  });

  it('writes a name with characters outside printable ASCII as U&"..." escapes, for SQL text people run', () => {
    assert.equal(quoteIdent('plain "x" \\', { printable: true }), '"plain ""x"" \\"');
    assert.equal(quoteIdent('caf\u00E9\n\\"', { printable: true }), String.raw`U&"caf\00E9\000A\\"""`);
    assert.equal(quoteQualified('s', '\u{1F600}\u202E', { printable: true }), String.raw`"s".U&"\+01F600\202E"`);
    assert.throws(() => quoteIdent('\uD800', { printable: true }), /lone surrogate/);
  });

  it('quotes literals by doubling single quotes', () => {
    assert.equal(quoteLiteral("it's"), "'it''s'");
  });

  it("writes a literal with a backslash as E'...', which reads the same whatever standard_conforming_strings is", () => {
    assert.equal(quoteLiteral("a\\'; x"), String.raw`E'a\\''; x'`);
    assert.equal(quoteLiteral('caf\u00E9\n\u{1F600}'), "'caf\u00E9\n\u{1F600}'");
    assert.equal(
      quoteLiteral('caf\u00E9\n\u{1F600}\\', { printable: true }),
      String.raw`E'caf\u00E9\u000A\U0001F600\\'`,
    );
  });
});

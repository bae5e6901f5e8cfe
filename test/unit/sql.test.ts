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

  it('quotes literals by doubling single quotes', () => {
    assert.equal(quoteLiteral("it's"), "'it''s'");
  });
});

import * as assert from 'node:assert/strict';
import { fixDocument, fixKindsFor, repackArgs } from '../../src/core/diag/bloatFix';
import { shellQuote } from '../../src/core/shell';
import { unreliableReason } from '../../src/core/diag/bloat';
import { diagError } from '../../src/core/diag/diagErrors';
import { formatBytes, slotsSql } from '../../src/core/diag/replication';

describe('diag bloat fixes and error hints', () => {
  const table = {
    schema: 'public',
    name: 'Orders',
    kind: 'table' as const,
    database: 'shop',
    host: 'db1',
    port: 5432,
    user: 'ops',
  };

  it('offers VACUUM for tables, REINDEX CONCURRENTLY for indexes, pg_repack for both', () => {
    assert.deepEqual(fixKindsFor('table'), ['vacuum', 'repack']);
    assert.deepEqual(fixKindsFor('index'), ['reindex', 'repack']);
    assert.match(fixDocument(table, 'vacuum').content, /^VACUUM \(VERBOSE, ANALYZE\) "public"\."Orders";$/m);
    const reindex = fixDocument({ ...table, kind: 'index', name: 'orders_pkey' }, 'reindex');
    assert.equal(reindex.language, 'sql');
    assert.match(reindex.content, /^REINDEX INDEX CONCURRENTLY "public"\."orders_pkey";$/m);
  });

  it('writes a gentle pg_repack command with the lock caveats as comments', () => {
    const doc = fixDocument(table, 'repack', 30);
    assert.equal(doc.language, 'shellscript');
    assert.match(
      doc.content,
      /^pg_repack --no-kill-backend --wait-timeout=30 --host=db1 --port=5432 --username=ops --dbname=shop '--table="public"\."Orders"'$/m,
    );
    assert.match(doc.content, /ACCESS EXCLUSIVE/);
    assert.match(doc.content, /terminates them/);
    assert.deepEqual(repackArgs({ ...table, kind: 'index', host: undefined, port: undefined, user: undefined }), [
      '--no-kill-backend',
      '--wait-timeout=60',
      '--dbname=shop',
      '--index="public"."Orders"',
    ]);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it('explains why an estimate is unreliable', () => {
    const base = { reltuples: 1000, with_stats: 3, ncols: 3, has_name: false, last_analyze: 'x', mod_since_analyze: 0 };
    assert.equal(unreliableReason(base), null);
    assert.match(unreliableReason({ ...base, reltuples: -1 }) ?? '', /never analyzed/);
    assert.match(unreliableReason({ ...base, with_stats: 1 }) ?? '', /missing for 2 of 3/);
    assert.match(unreliableReason({ ...base, mod_since_analyze: 500 }) ?? '', /stale/);
  });

  it('turns server errors into what to do: role to grant, timeout setting, reconnect', () => {
    assert.match(
      diagError({ code: '42501', message: 'permission denied' }, 'Reading X', 'pg_read_all_stats').hint ?? '',
      /GRANT pg_read_all_stats/,
    );
    assert.equal(
      diagError({ code: '57014', message: 'canceling statement due to statement timeout' }, 'Reading X').code,
      'diag-timeout',
    );
    assert.equal(diagError(new Error('Connection terminated unexpectedly'), 'Reading X').code, 'diag-connection-lost');
    assert.equal(
      diagError({ code: '55000', message: 'pg_stat_statements must be loaded via "shared_preload_libraries"' }, 'X')
        .code,
      'pgss-not-preloaded',
    );
  });

  it('selects only the slot columns a server version has', () => {
    assert.doesNotMatch(slotsSql(130000), /two_phase|conflicting|inactive_since/);
    assert.match(slotsSql(140000), /two_phase/);
    assert.match(slotsSql(160000), /conflicting/);
    assert.match(slotsSql(170000), /invalidation_reason/);
    assert.doesNotMatch(slotsSql(170000), /two_phase_at/);
    assert.match(slotsSql(180000), /two_phase_at/);
    assert.equal(formatBytes(1536), '1.5 kB');
  });
});

import * as assert from 'node:assert/strict';
import { openTargetSession } from '../../src/core/conn/open';
import { statementHealth } from '../../src/core/diag/statementHealth';
import { probeStatements, requireStatements } from '../../src/core/diag/statements';
import type { TestServer } from '../support/servers';
import { forEachServer, startTestServer, testServerSettings } from '../support/servers';
import { writeSettings } from '../../src/core/sandbox/pgServer';

forEachServer('diag pg_stat_statements health on a small dedicated server', (srv, major) => {
  let server: TestServer;

  before(async function () {
    this.timeout(180_000);
    server = await startTestServer(srv().binaries, { settings: { 'pg_stat_statements.max': '100' } });
  });

  after(async () => {
    await server?.stop();
  });

  it('warns about evicted entries (dealloc) and contention near pg_stat_statements.max', async () => {
    const admin = await server.admin();
    try {
      // 150 distinct statements (target lists of 1…150 columns) into a table of 100 entries
      await admin.query(
        "DO $$ BEGIN FOR i IN 1..150 LOOP EXECUTE 'SELECT ' || array_to_string(array_fill(1, ARRAY[i]), ','); END LOOP; END $$",
      );
    } finally {
      await admin.end();
    }
    const c = await openTargetSession(server.target());
    try {
      const notes = await statementHealth(c, await probeStatements(c));
      const dealloc = notes.find((n) => n.code === 'pgss-dealloc');
      if (major >= 14) {
        assert.ok(dealloc, JSON.stringify(notes));
        assert.match(dealloc.fix ?? '', /ALTER SYSTEM SET pg_stat_statements.max = 10000;/);
      } else {
        // 1.8 has no pg_stat_statements_info: pgops says it cannot count evictions
        assert.equal(dealloc, undefined);
        assert.match(
          notes.find((n) => n.code === 'pgss-dealloc-unknown')?.message ?? '',
          /pg_stat_statements 1\.8 has no pg_stat_statements_info/,
        );
      }
      assert.ok(notes.some((n) => n.code === 'pgss-near-max' && /LWLock/.test(n.hint ?? '')));
    } finally {
      await c.end();
    }
  });

  it('says when the extension exists but the library is not preloaded, with the exact fix', async () => {
    writeSettings(server.layout, {
      ...testServerSettings,
      'pg_stat_statements.max': '100',
      shared_preload_libraries: '',
    });
    await server.restart();
    const c = await openTargetSession(server.target());
    try {
      const probe = await probeStatements(c);
      assert.equal(probe.state, 'not-preloaded');
      const notes = await statementHealth(c, probe);
      assert.equal(notes[0].code, 'pgss-not-preloaded');
      assert.match(notes[0].fix ?? '', /^ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';/);
      await assert.rejects(requireStatements(c), /not load it/);
    } finally {
      await c.end();
    }
  });
});

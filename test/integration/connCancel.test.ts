import * as assert from 'node:assert/strict';
import { runCancellable, sendCancelRequest } from '../../src/core/conn/cancel';
import { connectResolved } from '../../src/core/conn/connect';
import { resolveConnection } from '../../src/core/conn/resolve';
import { openTargetSession } from '../../src/core/conn/open';
import { CancelledError } from '../../src/core/errors';
import { authenticatingBackends, countUntil } from '../support/backends';
import { forEachServer } from '../support/servers';
import { isolatedContext } from './connSupport';

forEachServer('cancelling work on a session', (srv) => {
  it('stops a running statement on the server and answers CancelledError; the session stays usable', async () => {
    const c = await openTargetSession(srv().target());
    try {
      const ctl = new AbortController();
      const started = Date.now();
      setTimeout(() => ctl.abort(), 300);
      await assert.rejects(
        runCancellable(c, ctl.signal, () => c.query('SELECT pg_catalog.pg_sleep(30)')),
        (e: unknown) => CancelledError.is(e),
      );
      assert.ok(Date.now() - started < 10_000, `cancelled after ${Date.now() - started} ms`);
      assert.equal((await c.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await c.end();
    }
  });

  it('passes results and errors through when nothing is cancelled', async () => {
    const c = await openTargetSession(srv().target());
    try {
      const ctl = new AbortController();
      const r = await runCancellable(c, ctl.signal, () => c.query<{ v: number }>('SELECT 42 AS v'));
      assert.equal(r.rows[0].v, 42);
      await assert.rejects(
        runCancellable(c, ctl.signal, () => c.query('SELECT no_such_column')),
        /no_such_column/,
      );
      ctl.abort();
      await sendCancelRequest(c);
      assert.equal((await c.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1, 'an idle session ignores it');
    } finally {
      await c.end();
    }
  });
});

forEachServer('cancelling a connection attempt', (srv) => {
  it('closes the half-open session while the server waits for a password that is slow to come', async () => {
    const ctl = new AbortController();
    const conninfo = `host=127.0.0.1 port=${srv().port} user=${srv().user} dbname=${srv().database} sslmode=disable`;
    // a password command that takes its time (a token service, a hardware key): the server waits for it
    const slowCredential = {
      label: 'a slow password command',
      get: () => new Promise<string>((resolve) => setTimeout(() => resolve(srv().password), 20_000).unref()),
    };
    const attempt = connectResolved(resolveConnection(conninfo, isolatedContext()), {
      signal: ctl.signal,
      credential: slowCredential,
    });
    const user = srv().user;
    assert.equal(
      await countUntil(
        () => authenticatingBackends(user, srv().port),
        (n) => n > 0,
      ),
      1,
      'the server waits for it',
    );
    ctl.abort();
    await assert.rejects(attempt, (e: unknown) => CancelledError.is(e));
    assert.equal(
      await countUntil(
        () => authenticatingBackends(user, srv().port),
        (n) => n === 0,
      ),
      0,
      'no half-open session left',
    );
  });
});

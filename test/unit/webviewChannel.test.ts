import * as assert from 'node:assert/strict';
import { WebviewChannel } from '../../src/extension/panels/webviewChannel';
import type { StatementToHost } from '../../src/protocol/statement';
import { isStatementToHost } from '../../src/protocol/statement';

/** A channel whose "page" is an array of what reached it, and whose handler records what the host saw. */
function channel() {
  const delivered: string[] = [];
  const handled: StatementToHost[] = [];
  const invalid: unknown[] = [];
  const c = new WebviewChannel<string, StatementToHost>(
    (m) => delivered.push(m),
    isStatementToHost,
    (m) => handled.push(m),
    (raw) => invalid.push(raw),
  );
  return { c, delivered, handled, invalid };
}

describe('webview channel: the ready handshake and validation of what the page sends', () => {
  it('holds messages posted before the page is ready and delivers them in order when it says ready', () => {
    const { c, delivered, handled } = channel();
    c.post('show');
    c.post('plan');
    assert.deepEqual(delivered, []);
    assert.equal(c.pending, 2);
    c.receive({ type: 'ready' });
    assert.deepEqual(delivered, ['show', 'plan']);
    assert.equal(c.pending, 0);
    assert.deepEqual(handled, [{ type: 'ready' }]);
  });

  it('sends directly once the page is ready', () => {
    const { c, delivered } = channel();
    c.receive({ type: 'ready' });
    c.post('plan');
    assert.deepEqual(delivered, ['plan']);
    assert.equal(c.pending, 0);
  });

  it('drops invalid messages before the handler and does not let them release the queue', () => {
    const { c, delivered, handled, invalid } = channel();
    c.post('show');
    const hostile = [{ type: 'ready', extra: '<script>' }, { type: 'runSql', sql: 'DROP TABLE t' }, 'ready', null, [1]];
    for (const raw of hostile) c.receive(raw);
    assert.deepEqual(invalid, hostile);
    assert.deepEqual(handled, []);
    assert.deepEqual(delivered, []);
    assert.equal(c.pending, 1);
    c.receive({ type: 'explain' });
    assert.deepEqual(handled, [{ type: 'explain' }]);
    assert.deepEqual(delivered, [], 'only ready releases the queue');
  });

  it('sends and handles nothing after it is closed, and forgets what waited', () => {
    const { c, delivered, handled } = channel();
    c.post('show');
    c.close();
    assert.equal(c.isClosed, true);
    assert.equal(c.pending, 0);
    c.receive({ type: 'ready' });
    c.post('plan');
    assert.deepEqual(delivered, []);
    assert.deepEqual(handled, []);
  });
});

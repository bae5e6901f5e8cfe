import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { sampleWaits, WaitSampler } from '../../src/core/diag/waitSampler';
import { forEachServer } from '../support/servers';

forEachServer('diag wait-event sampler', (srv) => {
  let sampler: Client;
  let sleeper: Client;
  let holder: Client;
  let blocked: Client;

  before(async () => {
    sampler = await openTargetSession(srv().target());
    [sleeper, holder, blocked] = await Promise.all([srv().admin(), srv().admin(), srv().admin()]);
    await holder.query('CREATE TABLE IF NOT EXISTS waits_locked (id int)');
  });

  after(async () => {
    await Promise.all([sampler, sleeper, holder, blocked].map((c) => c?.end().catch(() => undefined)));
  });

  it('counts a sleeping backend and a lock wait at the requested rate, never its own backend', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE waits_locked IN ACCESS EXCLUSIVE MODE');
    // long enough to outlast the sampling on any machine; cancelled below
    const sleeping = sleeper.query('SELECT pg_sleep(600) /* pgops-test-sleeper */').catch(() => undefined);
    const waiting = blocked.query('SELECT count(*) FROM waits_locked');
    await untilActive(['Timeout', 'Lock']);
    const snap = await sampleWaits(sampler, 1.5, { hz: 4, backendTypes: ['client backend'] });
    await holder.query(
      'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()',
      ['%pgops-test-sleeper%'],
    );
    await holder.query('COMMIT');
    await Promise.all([sleeping, waiting]);

    // at most one sample per 1/4 s (the first at once): 7 in 1.5 s; a loaded machine may take fewer
    assert.ok(snap.samples >= 2 && snap.samples <= 7, `2 to 7 samples in 1.5 s at 4 Hz, got ${snap.samples}`);
    const get = (t: string, e: string) =>
      snap.counts.find((c) => c.waitEventType === t && c.waitEvent === e)?.count ?? 0;
    assert.equal(get('Timeout', 'PgSleep'), snap.samples, 'the pg_sleep backend is seen in every sample');
    assert.equal(get('Lock', 'relation'), snap.samples, 'the blocked SELECT waits on a relation lock in every sample');
    assert.equal(get('CPU', 'Running'), 0, 'the sampling session itself is excluded');
    assert.equal(snap.errors, 0);
  });

  it('reports "CPU / Running" for an active backend that waits for nothing, and stops on abort', async () => {
    // A PL/pgSQL loop is busy on the CPU whatever the load: no I/O, no spill to disk, no lock.
    const busy = sleeper
      .query('DO $$ BEGIN LOOP PERFORM 1; END LOOP; END $$ /* pgops-test-busy */')
      .catch(() => undefined);
    await untilActive(['CPU']);
    const ctl = new AbortController();
    const s = new WaitSampler(sampler, { hz: 10, backendTypes: ['client backend'] });
    s.start(ctl.signal);
    for (const deadline = Date.now() + 60_000; s.snapshot().samples < 5 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 50));
    ctl.abort();
    await s.stop();
    const after = s.snapshot().samples;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.snapshot().samples, after, 'no samples after abort');
    assert.equal(s.isRunning, false);
    await holder.query(
      'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()',
      ['%pgops-test-busy%'],
    );
    await busy;
    const cpu = s.snapshot().counts.find((c) => c.waitEventType === 'CPU' && c.waitEvent === 'Running');
    assert.ok(after >= 5, `five samples taken before the abort: ${after}`);
    assert.equal(cpu?.count, after, `the busy backend counted as CPU in every sample: ${JSON.stringify(s.snapshot())}`);
  });

  /**
   * Waits until the other sessions show the expected wait types (CPU: active with no wait event). The holder reads
   * pg_stat_activity inside its open transaction, where the server keeps the first snapshot it took until the
   * transaction ends: a first read before the blocked SELECT queued would be seen again and again. Each read clears it.
   */
  async function untilActive(types: string[]): Promise<void> {
    for (const deadline = Date.now() + 30_000; ;) {
      await holder.query('SELECT pg_catalog.pg_stat_clear_snapshot()');
      const r = await holder.query<{ t: string }>(`SELECT coalesce(wait_event_type, 'CPU') AS t FROM pg_stat_activity
        WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`);
      const seen = new Set(r.rows.map((x) => x.t));
      if (types.every((t) => seen.has(t))) return;
      if (Date.now() > deadline)
        throw new Error(`sessions not in ${types.join(', ')} after 30 s: ${[...seen].join(', ')}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
});

import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openSession } from '../../src/core/conn/session';
import { sampleWaits, WaitSampler } from '../../src/core/diag/waitSampler';
import { forEachServer } from '../support/servers';

forEachServer('diag wait-event sampler', (srv) => {
  let sampler: Client;
  let sleeper: Client;
  let holder: Client;
  let blocked: Client;

  before(async () => {
    sampler = await openSession(srv().target());
    [sleeper, holder, blocked] = await Promise.all([srv().admin(), srv().admin(), srv().admin()]);
    await holder.query('CREATE TABLE IF NOT EXISTS waits_locked (id int)');
  });

  after(async () => {
    await Promise.all([sampler, sleeper, holder, blocked].map((c) => c?.end().catch(() => undefined)));
  });

  it('counts a sleeping backend and a lock wait at the requested rate, never its own backend', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE waits_locked IN ACCESS EXCLUSIVE MODE');
    const sleeping = sleeper.query('SELECT pg_sleep(2.5)');
    const waiting = blocked.query('SELECT count(*) FROM waits_locked');
    await new Promise((r) => setTimeout(r, 300));
    const snap = await sampleWaits(sampler, 1.5, { hz: 4, backendTypes: ['client backend'] });
    await holder.query('COMMIT');
    await Promise.all([sleeping, waiting]);

    assert.ok(snap.samples >= 5 && snap.samples <= 8, `about 6 samples in 1.5 s at 4 Hz, got ${snap.samples}`);
    const get = (t: string, e: string) => snap.counts.find((c) => c.waitEventType === t && c.waitEvent === e)?.count ?? 0;
    assert.equal(get('Timeout', 'PgSleep'), snap.samples, 'the pg_sleep backend is seen in every sample');
    assert.equal(get('Lock', 'relation'), snap.samples, 'the blocked SELECT waits on a relation lock in every sample');
    assert.equal(get('CPU', 'Running'), 0, 'the sampling session itself is excluded');
    assert.equal(snap.errors, 0);
  });

  it('reports "CPU / Running" for an active backend that waits for nothing, and stops on abort', async () => {
    const busy = sleeper.query('SELECT count(*) FROM generate_series(1, 30000000)').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const ctl = new AbortController();
    const s = new WaitSampler(sampler, { hz: 10, backendTypes: ['client backend'] });
    s.start(ctl.signal);
    await new Promise((r) => setTimeout(r, 700));
    ctl.abort();
    await s.stop();
    const after = s.snapshot().samples;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.snapshot().samples, after, 'no samples after abort');
    assert.equal(s.isRunning, false);
    await holder.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', ['%generate_series(1, 30000000)%']).catch(() => undefined);
    await busy;
    const cpu = s.snapshot().counts.find((c) => c.waitEventType === 'CPU' && c.waitEvent === 'Running');
    assert.ok(cpu && cpu.count >= 3, `the busy backend counted as CPU in most samples: ${JSON.stringify(s.snapshot())}`);
  });
});

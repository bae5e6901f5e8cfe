import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { replicationOverview } from '../../src/core/diag/replication';
import { forEachServer } from '../support/servers';
import type { Standby } from './diagSupport';
import { startStandby, until } from './diagSupport';

forEachServer('diag replication on a primary and its standby', (srv, major) => {
  let standby: Standby;
  let onStandby: Client;
  let onPrimary: Client;

  before(async function () {
    this.timeout(180_000);
    standby = await startStandby(srv(), 'diag_standby_slot');
    onStandby = await standby.admin();
    onPrimary = await srv().admin();
  });

  after(async () => {
    await onStandby?.end();
    await onPrimary?.end();
    await standby?.stop();
  });

  it('on the primary: the standby streams, its slot is active and its lag is measured in bytes', async () => {
    const o = await until('the standby to stream', async () => {
      const x = await replicationOverview(onPrimary, major * 10000);
      return x.standbys.some((s) => s.applicationName === 'diag_standby' && s.state === 'streaming') ? x : undefined;
    });
    const sb = o.standbys.find((s) => s.applicationName === 'diag_standby');
    assert.ok(sb && sb.replayLagBytes !== null && sb.replayLagBytes >= 0);
    const slot = o.slots.find((s) => s.slotName === 'diag_standby_slot');
    assert.ok(slot?.active);
    assert.ok((slot.retainedBytes ?? -1) >= 0);
  });

  it('on the standby: retained WAL is computed from the received position (pg_current_wal_lsn would fail there)', async () => {
    await assert.rejects(onStandby.query('SELECT pg_current_wal_lsn()'), /recovery is in progress/);
    await onStandby.query("SELECT pg_create_physical_replication_slot('diag_on_standby', true)");
    try {
      await onPrimary.query('CREATE TABLE IF NOT EXISTS diag_standby_wal (x int)');
      await onPrimary.query('INSERT INTO diag_standby_wal SELECT generate_series(1, 20000)');
      const o = await until('WAL to arrive on the standby', async () => {
        const x = await replicationOverview(onStandby, major * 10000);
        const s = x.slots.find((s) => s.slotName === 'diag_on_standby');
        return s && (s.retainedBytes ?? 0) > 100_000 ? x : undefined;
      });
      assert.equal(o.standby, true);
      assert.equal(o.receiver?.status, 'streaming');
      assert.equal(o.receiver?.slotName, 'diag_standby_slot');
      assert.ok((o.receiver?.replayLagBytes ?? -1) >= 0);
    } finally {
      await onStandby.query("SELECT pg_drop_replication_slot('diag_on_standby')");
      await onPrimary.query('DROP TABLE IF EXISTS diag_standby_wal');
    }
  });
});

import * as assert from 'node:assert/strict';
import { parseByteSize, slotsRetainingOver } from '../../src/core/diag/replication';
import type { ReplicationSlot } from '../../src/core/diag/replication';

describe('byte sizes and slot retention (pgops slots --warn-bytes)', () => {
  it('reads sizes the way pg_size_bytes does', () => {
    assert.equal(parseByteSize('1073741824'), 1073741824);
    assert.equal(parseByteSize('1GB'), 1024 ** 3);
    assert.equal(parseByteSize('512 MB'), 512 * 1024 ** 2);
    assert.equal(parseByteSize('1.5kB'), 1536);
    assert.equal(parseByteSize('2 bytes'), 2);
    assert.equal(parseByteSize('10b'), 10);
    assert.equal(parseByteSize('1tb'), 1024 ** 4);
    assert.equal(parseByteSize('0'), 0);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'GB', '-1', '1 GiB', '1e9', '1,5GB', 'ten', '1 2'])
      assert.equal(parseByteSize(bad), undefined, bad);
    assert.equal(parseByteSize('99999999999PB'), undefined);
  });

  it('picks the slots retaining more than the limit, not those at it or of unknown retention', () => {
    const slot = (slotName: string, retainedBytes: number | null) => ({ slotName, retainedBytes }) as ReplicationSlot;
    const slots = [slot('a', 100), slot('b', 101), slot('c', null), slot('d', 5000)];
    assert.deepEqual(
      slotsRetainingOver(slots, 100).map((s) => s.slotName),
      ['b', 'd'],
    );
    assert.deepEqual(slotsRetainingOver(slots, 5000), []);
  });
});

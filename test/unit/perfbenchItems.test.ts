/**
 * A pgops report holds every item a pg_perfbench report holds, so that any pg_perfbench join task
 * naming `sections.<s>.reports.<item>.data` finds the item in ours. The keys are pg_perfbench's, as
 * listed in ../shared/research/pg_perfbench.md (§2.1–2.4, its report templates at HEAD).
 */
import * as assert from 'node:assert/strict';
import { dbFactKeys } from '../../src/core/bench/dbFacts';
import { systemFacts } from '../../src/core/bench/systemFacts';

const lshwClasses = [
  'system',
  'bus',
  'memory',
  'processor',
  'bridge',
  'display',
  'network',
  'storage',
  'disk',
  'volume',
  'input',
  'communication',
  'generic',
  'multimedia',
  'power',
];
const perfbenchSystem = [
  'uname_a',
  'etc_os_release',
  'sys_memory_total',
  'total_ram',
  'cpu_info',
  'df_h',
  'etc_fstab',
  'mount',
  'ip_br_addr',
  'sysctl_vm',
  'sysctl_net_ipv4_tcp',
  'sysctl_net_ipv4_udp',
  ...lshwClasses.map((c) => `lshw_${c}`),
];
const perfbenchDb = [
  'full_version',
  'version_major',
  'version_minor',
  'pg_settings',
  'pg_config',
  'pg_available_extensions',
];

describe("pg_perfbench's items in a pgops report", () => {
  it('collects every system item pg_perfbench collects, lshw classes included', () => {
    const ours = systemFacts.map((f) => f.key);
    assert.deepEqual(
      perfbenchSystem.filter((k) => !ours.includes(k)),
      [],
    );
  });

  it('keeps the lshw items in pg_perfbench order, multimedia and power hidden as there', () => {
    const lshw = systemFacts.filter((f) => f.key.startsWith('lshw_'));
    assert.deepEqual(
      lshw.map((f) => f.key),
      lshwClasses.map((c) => `lshw_${c}`),
    );
    assert.deepEqual(
      lshw.filter((f) => f.state === 'hidden').map((f) => f.key),
      ['lshw_multimedia', 'lshw_power'],
    );
    for (const f of lshw) assert.match(f.header, new RegExp(`\\| lshw -class ${f.key.slice(5)}$`));
  });

  it('collects every db item pg_perfbench collects', () => {
    assert.deepEqual(
      perfbenchDb.filter((k) => !dbFactKeys.includes(k)),
      [],
    );
  });
});

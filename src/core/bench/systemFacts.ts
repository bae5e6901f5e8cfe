/**
 * System facts of the database host, under pg_perfbench's item keys where the fact is the same
 * (uname_a, etc_os_release, sys_memory_total, total_ram, cpu_info, df_h, etc_fstab, mount, sysctl_*,
 * lshw_*), plus ours (block devices, transparent huge pages, CPU governor). Every collector that
 * fails leaves its error text in the item, as pg_perfbench does, and the others go on.
 */
import type { ItemState, JsonObject, JsonValue, ReportItem } from '../report';
import { plainTextItem, tableFromObjects, tableItem } from '../report';
import type { HostShell } from './hostShell';

type FactValue = string | { objects: JsonObject[] } | { theader: string[]; rows: JsonValue[][] };

interface SystemFact {
  key: string;
  header: string;
  description?: string;
  state: ItemState;
  collect(sh: HostShell): Promise<FactValue>;
}

const cat = (file: string) => (sh: HostShell) => sh.run('cat', [file]);
const grepLines = (text: string, re: RegExp, keep = true) =>
  text
    .split('\n')
    .filter((l) => l !== '' && re.test(l) === keep)
    .map((l) => `${l}\n`)
    .join('');

/** meminfo keys that change from second to second (pg_perfbench leaves them out too), and Active(…), Inactive(…). */
const volatileMeminfoKeys =
  'MemFree MemAvailable Buffers Cached SwapCached Active Inactive Unevictable Dirty Writeback WritebackTmp AnonPages ' +
  'Mapped Shmem KReclaimable Slab SReclaimable SUnreclaim KernelStack PageTables SecPageTables NFS_Unstable Bounce ' +
  'Committed_AS VmallocUsed Percpu AnonHugePages ShmemHugePages ShmemPmdMapped FileHugePages FilePmdMapped SwapFree ' +
  'Zswap Zswapped HugePages_Free HugePages_Rsvd HugePages_Surp';
const volatileMeminfo = new RegExp(
  `^(${volatileMeminfoKeys.split(' ').join('|')}|Active\\(\\w+\\)|Inactive\\(\\w+\\)):`,
);

/** pg_perfbench's lshw items, in its order: class, title, and whether the item starts hidden. */
const lshwClasses: Array<[string, string, ('hidden' | 'collapsed')?]> = [
  ['system', 'System Components'],
  ['bus', 'Buses and Interfaces'],
  ['memory', 'System Memory Information'],
  ['processor', 'Processor Details'],
  ['bridge', 'Bridges and Controllers'],
  ['display', 'Graphics Adapters'],
  ['network', 'Network Interfaces'],
  ['storage', 'Storage Controllers'],
  ['disk', 'Hard Drives and SSDs'],
  ['volume', 'Disk Partitions and Volumes'],
  ['input', 'Input Devices'],
  ['communication', 'Communication Devices'],
  ['generic', 'Generic Devices'],
  ['multimedia', 'Audio and Multimedia Devices', 'hidden'],
  ['power', 'Power Components', 'hidden'],
];

async function blockDevices(sh: HostShell): Promise<FactValue> {
  const out = await sh.run('lsblk', [
    '--json',
    '--bytes',
    '--nodeps',
    '-o',
    'NAME,TYPE,SIZE,ROTA,SCHED,MODEL,MOUNTPOINT',
  ]);
  const parsed = JSON.parse(out) as { blockdevices?: JsonObject[] };
  return { objects: parsed.blockdevices ?? [] };
}

async function cpuGovernor(sh: HostShell): Promise<string> {
  try {
    return await sh.run('cat', ['/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor']);
  } catch {
    return 'no cpufreq scaling governor (virtual machine, container or cpufreq driver not loaded)\n';
  }
}

async function lshw(sh: HostShell, cls: string): Promise<FactValue> {
  const out = await sh.run('lshw', ['-json', '-quiet', '-class', cls], { timeoutMs: 60_000 });
  const parsed = JSON.parse(out) as JsonObject | JsonObject[];
  return { objects: Array.isArray(parsed) ? parsed : [parsed] };
}

export const systemFacts: SystemFact[] = [
  { key: 'hostname', header: 'Host name | hostname', state: 'collapsed', collect: (sh) => sh.run('hostname', []) },
  {
    key: 'uname_a',
    header: 'Linux kernel version and machine architecture | uname -r -m',
    state: 'collapsed',
    collect: (sh) => sh.run('uname', ['-r', '-m']),
  },
  {
    key: 'uname_all',
    header: 'Kernel, host and build | uname -a',
    state: 'collapsed',
    collect: (sh) => sh.run('uname', ['-a']),
  },
  {
    key: 'etc_os_release',
    header: 'Operating system | /etc/os-release',
    state: 'collapsed',
    collect: cat('/etc/os-release'),
  },
  {
    key: 'sys_memory_total',
    header: 'System memory information | /proc/meminfo',
    description: "Current state of the system's memory during the benchmarking",
    state: 'collapsed',
    collect: async (sh) => grepLines(await sh.run('cat', ['/proc/meminfo']), volatileMeminfo, false),
  },
  {
    key: 'total_ram',
    header: 'Total RAM capacity | /proc/meminfo',
    description: 'Total database host RAM ',
    state: 'collapsed',
    collect: async (sh) => {
      const kb = Number((await sh.run('cat', ['/proc/meminfo'])).match(/^MemTotal:\s+(\d+)/m)?.[1]);
      return `${Math.trunc(kb / 1048576)} GB\n`;
    },
  },
  {
    key: 'cpu_info',
    header: 'CPU architecture and specification display tool | lscpu',
    state: 'collapsed',
    collect: async (sh) => grepLines(await sh.run('lscpu', []), /CPU\(s\) scaling MHz/, false),
  },
  { key: 'df_h', header: 'Disk space usage | df -h', state: 'collapsed', collect: (sh) => sh.run('df', ['-h']) },
  {
    key: 'etc_fstab',
    header: 'File systems mounted at boot | /etc/fstab',
    state: 'collapsed',
    collect: cat('/etc/fstab'),
  },
  {
    key: 'mount',
    header: 'Mounted file systems and their options | mount',
    state: 'collapsed',
    collect: (sh) => sh.run('mount', []),
  },
  {
    key: 'block_devices',
    header: 'Block devices: rotational, I/O scheduler, size | lsblk',
    state: 'collapsed',
    collect: blockDevices,
  },
  {
    key: 'ip_br_addr',
    header: 'Network addresses | ip -br addr',
    description: 'The interfaces of the database host and their addresses',
    state: 'collapsed',
    collect: (sh) => sh.run('ip', ['-br', 'addr']),
  },
  {
    key: 'sysctl_vm',
    header: 'Kernel parameters related to virtual memory | sysctl vm',
    state: 'collapsed',
    collect: async (sh) =>
      grepLines(
        await sh.run('sysctl', ['vm'], { partial: true }).catch((e: Error) => e.message),
        /permission denied/i,
        false,
      ),
  },
  {
    key: 'sysctl_net_ipv4_tcp',
    header: 'Kernel parameters related to IPv4 TCP networking settings | sysctl net.ipv4.tcp*',
    state: 'hidden',
    collect: async (sh) => grepLines(await sh.run('sysctl', ['net.ipv4'], { partial: true }), /^net\.ipv4\.tcp/),
  },
  {
    key: 'sysctl_net_ipv4_udp',
    header: 'Kernel parameters related to IPv4 UDP networking settings | sysctl net.ipv4.udp*',
    state: 'hidden',
    collect: async (sh) => grepLines(await sh.run('sysctl', ['net.ipv4'], { partial: true }), /^net\.ipv4\.udp/),
  },
  {
    key: 'transparent_hugepages',
    header: 'Transparent huge pages | /sys/kernel/mm/transparent_hugepage/{enabled,defrag}',
    state: 'collapsed',
    collect: async (sh) =>
      `enabled: ${await sh.run('cat', ['/sys/kernel/mm/transparent_hugepage/enabled'])}` +
      `defrag: ${await sh.run('cat', ['/sys/kernel/mm/transparent_hugepage/defrag'])}`,
  },
  {
    key: 'cpu_governor',
    header: 'CPU frequency governor | /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor',
    state: 'collapsed',
    collect: cpuGovernor,
  },
  ...lshwClasses.map(([cls, title, state]): SystemFact => ({
    key: `lshw_${cls}`,
    header: `${title} | lshw -class ${cls}`,
    state: state ?? 'collapsed',
    collect: (sh) => lshw(sh, cls),
  })),
];

function toItem(f: SystemFact, value: FactValue): ReportItem {
  const opts = { description: f.description, state: f.state, command: { shell_command_file: `${f.key}.sh` } };
  if (typeof value === 'string') return plainTextItem(f.header, value, opts);
  if ('objects' in value) return tableFromObjects(f.header, value.objects, opts);
  return tableItem(f.header, value.theader, value.rows, opts);
}

async function collectOne(f: SystemFact, sh: HostShell): Promise<ReportItem> {
  const kind = f.key.startsWith('lshw_') || f.key === 'block_devices' ? 'table' : 'plain_text';
  try {
    return toItem(f, await f.collect(sh));
  } catch (err) {
    const message = (err as Error).message;
    const text =
      f.key.startsWith('lshw_') && /ENOENT|not found|No such file/i.test(message)
        ? `lshw is not installed on the database host (${sh.where})`
        : `Error generating report of type "${kind}": ${message}`;
    return plainTextItem(f.header, text, {
      description: f.description,
      state: f.state,
      command: { shell_command_file: `${f.key}.sh` },
    });
  }
}

/**
 * Collects every system fact on `sh`, four at a time (each is a round trip over SSH); the result
 * keeps the order of `systemFacts`. lshw is asked once first: when it is missing, every lshw item says so.
 */
export async function collectSystemFacts(sh: HostShell): Promise<Record<string, ReportItem>> {
  const results = new Map<string, ReportItem>();
  const lshwFacts = systemFacts.filter((f) => f.key.startsWith('lshw_'));
  const queue = systemFacts.filter((f) => !f.key.startsWith('lshw_'));
  const first = lshwFacts[0] ? await collectOne(lshwFacts[0], sh) : undefined;
  const lshwMissing =
    typeof first?.data === 'string' && first.data.startsWith('lshw is not installed') ? first.data : undefined;
  if (first) results.set(lshwFacts[0].key, first);
  for (const f of lshwFacts.slice(1)) {
    if (lshwMissing)
      results.set(
        f.key,
        plainTextItem(f.header, lshwMissing, { state: f.state, command: { shell_command_file: `${f.key}.sh` } }),
      );
    else queue.push(f);
  }
  const workers = Array.from({ length: 4 }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) results.set(f.key, await collectOne(f, sh));
  });
  await Promise.all(workers);
  const items: Record<string, ReportItem> = {};
  for (const f of systemFacts) items[f.key] = results.get(f.key) as ReportItem;
  return items;
}

/** The `system` section header, which pg_perfbench writes as "System properties <hn>". */
export function systemSectionHeader(items: Record<string, ReportItem>): string {
  const hn = items.hostname?.data;
  return typeof hn === 'string' && !hn.startsWith('Error') ? `System properties ${hn.trim()}` : 'System properties';
}

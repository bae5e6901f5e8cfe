import {
  formatBytes,
  parseByteSize,
  replicationOverview,
  slotsRetainingOver,
  slotWarnings,
} from '../../core/diag/replication';
import { serverVersionNum } from '../../core/conn/session';
import type { CliCommand } from '../command';
import { parseFlags, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

/** Inactive slots holding more than this are flagged (the extension's default threshold). */
const inactiveThreshold = 1024 ** 3;

const options = { ...connFlags, json: { type: 'boolean' }, 'warn-bytes': { type: 'string' } } as const;

function warnBytesFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const bytes = parseByteSize(value);
  if (bytes === undefined)
    throw new UsageError(`--warn-bytes must be a size such as 1073741824, 512MB or 1GB, got "${value}"`);
  return bytes;
}

export const slotsCommand: CliCommand = {
  name: 'slots',
  summary: 'replication slots with the WAL they retain, and standbys',
  usage:
    'pgops slots [--conn C] [--warn-bytes N] [--hba-file F] [--json]\n' +
    '  --warn-bytes N  exit 1 when a slot retains more WAL than N bytes (or 512MB, 1GB, … like pg_size_bytes),\n' +
    '                  naming each such slot on stderr: for monitoring scripts\n' +
    connFlagsUsage,
  options,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const warnBytes = warnBytesFlag(values['warn-bytes']);
    const { client } = await openCliSessionFrom(values, io);
    try {
      const overview = await replicationOverview(client, await serverVersionNum(client));
      if (values.json) {
        io.out(
          JSON.stringify(
            overview.slots.map((s) => ({ ...s, warnings: slotWarnings(s, inactiveThreshold).map((w) => w.message) })),
            null,
            2,
          ),
        );
      } else {
        io.out(
          `${overview.standby ? 'standby' : 'primary'}: ${overview.slots.length} slot(s), ${overview.standbys.length} walsender(s)`,
        );
        if (overview.slots.length) {
          io.out(
            formatTable(
              ['slot', 'type', 'active', 'wal_status', 'retained', 'warnings'],
              overview.slots.map((s) => [
                s.slotName,
                s.slotType,
                s.active ? 'yes' : 'no',
                s.walStatus ?? '',
                s.retainedBytes === null ? '' : formatBytes(s.retainedBytes),
                slotWarnings(s, inactiveThreshold)
                  .map((w) => w.message)
                  .join('; '),
              ]),
            ),
          );
        }
      }
      if (warnBytes === undefined) return 0;
      const over = slotsRetainingOver(overview.slots, warnBytes);
      for (const s of over)
        io.err(
          `pgops slots: slot "${s.slotName}" retains ${s.retainedBytes} bytes (${formatBytes(s.retainedBytes ?? 0)}) ` +
            `of WAL, over --warn-bytes ${warnBytes}`,
        );
      return over.length > 0 ? 1 : 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

import { formatBytes, replicationOverview, slotWarnings } from '../../core/diag/replication';
import { serverVersionNum } from '../../core/conn/session';
import type { CliCommand } from '../command';
import { parseFlags } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

/** Inactive slots holding more than this are flagged (the extension's default threshold). */
const inactiveThreshold = 1024 ** 3;

export const slotsCommand: CliCommand = {
  name: 'slots',
  summary: 'replication slots with the WAL they retain, and standbys',
  usage: `pgops slots [--conn C] [--hba-file F] [--json]\n${connFlagsUsage}`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { ...connFlags, json: { type: 'boolean' } });
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
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

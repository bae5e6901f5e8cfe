import { formatBytes } from '../../core/diag/replication';
import { formatSeconds } from '../../core/ops/health';
import { maintenanceProgress } from '../../core/ops/progress';
import type { CliCommand } from '../command';
import { parseFlags } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

const options = { ...connFlags, json: { type: 'boolean' } } as const;

export const progressCommand: CliCommand = {
  name: 'progress',
  summary:
    'running VACUUM, ANALYZE, CREATE INDEX, CLUSTER and base backups with phase and percentage; autovacuum workers',
  usage:
    'pgops progress [--conn C] [--hba-file F] [--json]\n' +
    '  --json      {operations: [{pid, kind, command, database, relation, phase, done, total, unit, percent, autovacuum}],\n' +
    '               autovacuumWorkers: [{pid, database, relation, activity, runningS}]}\n' +
    '  Table names are shown for the database connected to; other databases show their relation oid.\n' +
    connFlagsUsage,
  options,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const { client } = await openCliSessionFrom(values, io);
    try {
      const snapshot = await maintenanceProgress(client);
      if (values.json) {
        io.out(JSON.stringify(snapshot, null, 2));
        return 0;
      }
      if (!snapshot.operations.length) io.out('No maintenance running.');
      else
        io.out(
          formatTable(
            ['pid', 'command', 'database', 'relation', 'phase', '%', 'done / total'],
            snapshot.operations.map((o) => [
              o.pid,
              o.command,
              o.database ?? '',
              o.relation ?? (o.relid ? `oid ${o.relid}` : ''),
              o.phase,
              o.percent,
              o.total === null
                ? ''
                : o.unit === 'bytes'
                  ? `${formatBytes(o.done ?? 0)} / ${formatBytes(o.total)}`
                  : `${o.done ?? 0} / ${o.total} blocks`,
            ]),
          ),
        );
      if (snapshot.autovacuumWorkers.length) {
        io.out('\nautovacuum workers:');
        io.out(
          formatTable(
            ['pid', 'database', 'relation', 'running', 'activity'],
            snapshot.autovacuumWorkers.map((w) => [
              w.pid,
              w.database ?? '',
              w.relation ?? '',
              w.runningS === null ? '' : formatSeconds(w.runningS),
              w.activity ?? '',
            ]),
          ),
        );
      }
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

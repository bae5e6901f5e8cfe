import { estimateBloat } from '../../core/diag/bloat';
import { formatBytes } from '../../core/diag/replication';
import type { CliCommand } from '../command';
import { intFlag, parseFlags } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

const options = { ...connFlags, limit: { type: 'string' }, json: { type: 'boolean' } } as const;

export const bloatCommand: CliCommand = {
  name: 'bloat',
  summary: 'estimated table and btree-index bloat from statistics, largest waste first',
  options,
  usage: `pgops bloat [--conn C] [--hba-file F] [--limit N] [--json]\n  --limit N   number of relations (default 20)\n${connFlagsUsage}`,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const limit = intFlag(values.limit, 'limit', 20);
    const { client } = await openCliSessionFrom(values, io);
    try {
      const rows = await estimateBloat(client, limit);
      if (values.json) {
        io.out(JSON.stringify(rows, null, 2));
      } else {
        io.out(
          formatTable(
            ['relation', 'kind', 'size', 'wasted', 'bloat %', 'note'],
            rows.map((b) => [
              `${b.schema}.${b.name}`,
              b.kind,
              formatBytes(b.sizeBytes),
              formatBytes(b.wastedBytes),
              b.bloatPct,
              b.unreliable ?? '',
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

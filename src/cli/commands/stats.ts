import { requireStatements, statementOrders, topStatements } from '../../core/diag/statements';
import type { StatementOrder } from '../../core/diag/statements';
import type { CliCommand } from '../command';
import { intFlag, parseFlags, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

const options = {
  ...connFlags,
  order: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'top statements from pg_stat_statements (server-side order and limit)',
  usage:
    `pgops stats [--conn C] [--order ${statementOrders.join('|')}] [--limit N] [--hba-file F] [--json]\n` +
    '  --order     total (default), mean, calls, rows, io (shared blocks read), temp, wal (bytes)\n' +
    '  --limit N   number of statements (default 20)\n' +
    connFlagsUsage,
  options,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const order = (values.order ?? 'total') as StatementOrder;
    if (!statementOrders.includes(order))
      throw new UsageError(`--order must be one of ${statementOrders.join(', ')}, got "${values.order}"`);
    const limit = intFlag(values.limit, 'limit', 20);
    const { client } = await openCliSessionFrom(values, io);
    try {
      const source = await requireStatements(client);
      const rows = await topStatements(client, source, { order, limit });
      if (values.json) {
        io.out(
          JSON.stringify(
            rows.map((s) => ({
              queryid: s.queryid,
              query: s.query,
              calls: s.calls,
              totalMs: s.totalMs,
              meanMs: s.meanMs,
              rows: s.rows,
              sharePct: s.sharePct,
              user: s.user,
              database: s.database,
              toplevel: s.toplevel,
              counters: s.counters,
            })),
            null,
            2,
          ),
        );
      } else {
        io.out(
          formatTable(
            ['total ms', 'calls', 'mean ms', 'rows', '%', 'query'],
            rows.map((s) => [
              Math.round(s.totalMs * 10) / 10,
              s.calls,
              Math.round(s.meanMs * 100) / 100,
              s.rows,
              Math.round(s.sharePct * 10) / 10,
              (s.query ?? '').replace(/\s+/g, ' ').slice(0, 80),
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

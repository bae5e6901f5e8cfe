import { failedChecks, formatHealthValue, formatThreshold, runHealthChecks } from '../../core/ops/health';
import type { CliCommand } from '../command';
import { parseFlags } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

const options = { ...connFlags, json: { type: 'boolean' }, strict: { type: 'boolean' } } as const;

export const healthCommand: CliCommand = {
  name: 'health',
  summary:
    'health checks: connections, wraparound, checkpoints, indexes, slots, sequences, … (--strict for monitoring)',
  usage:
    'pgops health [--conn C] [--strict] [--hba-file F] [--json]\n' +
    '  --strict    exit 1 when any check is fail, naming each on stderr (warn and unknown still exit 0)\n' +
    '  --json      an array of {id, status, value, unit, threshold, message, fix, details}\n' +
    '  Index, sequence and table checks look at the database connected to; the others at the whole server.\n' +
    connFlagsUsage,
  options,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const { client } = await openCliSessionFrom(values, io);
    try {
      const results = await runHealthChecks(client);
      if (values.json) {
        io.out(JSON.stringify(results, null, 2));
      } else {
        io.out(
          formatTable(
            ['status', 'check', 'value', 'threshold'],
            results.map((r) => [
              r.status,
              r.id,
              formatHealthValue(r.value, r.unit),
              formatThreshold(r.threshold, r.unit),
            ]),
          ),
        );
        for (const r of results.filter((x) => x.status !== 'ok')) {
          io.out(`\n${r.id} (${r.status}): ${r.message}`);
          if (r.fix) io.out(`  fix: ${r.fix.replace(/\n/g, '\n       ')}`);
        }
      }
      if (!values.strict) return 0;
      const failed = failedChecks(results);
      for (const r of failed) io.err(`pgops health: check ${r.id} failed: ${r.message}`);
      return failed.length > 0 ? 1 : 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

import { sampleWaits } from '../../core/diag/waitSampler';
import type { CliCommand } from '../command';
import { parseFlags, requireFlag, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

const options = {
  ...connFlags,
  seconds: { type: 'string' },
  hz: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const waitsCommand: CliCommand = {
  name: 'waits',
  summary: 'sample pg_stat_activity and count wait events of active backends',
  usage:
    'pgops waits [--conn C] --seconds S [--hz N] [--hba-file F] [--json]\n' +
    '  --seconds S   how long to sample\n' +
    '  --hz N        samples per second (default 1)\n' +
    connFlagsUsage,
  options,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const seconds = Number(requireFlag(values.seconds, 'seconds'));
    if (!(seconds > 0)) throw new UsageError(`--seconds must be a positive number, got "${values.seconds}"`);
    const hz = values.hz === undefined ? 1 : Number(values.hz);
    if (!(hz > 0 && hz <= 100)) throw new UsageError(`--hz must be between 0.01 and 100, got "${values.hz}"`);
    const { client } = await openCliSessionFrom(values, io);
    try {
      const snap = await sampleWaits(client, seconds, { hz });
      if (values.json) {
        io.out(
          JSON.stringify({ samples: snap.samples, hz, seconds, errors: snap.errors, counts: snap.counts }, null, 2),
        );
      } else {
        io.out(
          `${snap.samples} samples at ${hz} Hz${snap.errors ? `, ${snap.errors} failed (${snap.lastError})` : ''}`,
        );
        io.out(
          formatTable(
            ['count', 'wait_event_type', 'wait_event'],
            snap.counts.map((c) => [c.count, c.waitEventType, c.waitEvent]),
          ),
        );
      }
      return snap.samples > 0 ? 0 : 1;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

import { redactParams } from '../../core/conn/params';
import { describeHost } from '../../core/conn/resolve';
import { describeSessionInfo } from '../../core/conn/sessionReport';
import type { CliCommand } from '../command';
import { parseFlags, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom, resolveCliFlags } from '../conn';

const options = { ...connFlags, json: { type: 'boolean' } } as const;

/** `pgops conn resolve|test`: what libpq would make of --conn (no secrets shown), and whether it connects. */
export const connCommand: CliCommand = {
  name: 'conn',
  summary: 'show how a connection string resolves (service, PG* variables, pgpass) and test it',
  usage:
    'pgops conn resolve|test [--conn C] [-h H] [-p P] [-U U] [-d D] [--hba-file F] [--json]\n' +
    '  resolve         the hosts, user, database and every keyword with where its value came from; secrets masked\n' +
    '  test            connect (diagnostic session) and report server version, endpoint, authentication and TLS\n' +
    connFlagsUsage,
  options,
  actions: ['resolve', 'test'],
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action !== 'resolve' && action !== 'test') throw new UsageError('expected "resolve" or "test"');
    const { values } = parseFlags(rest, options);
    if (action === 'resolve') {
      const r = resolveCliFlags(values, io.env);
      const params = redactParams(r.params);
      if (values.json) {
        io.out(
          JSON.stringify(
            {
              hosts: r.hosts,
              user: r.user,
              dbname: r.dbname,
              sslmode: r.sslmode,
              targetSessionAttrs: r.targetSessionAttrs,
              service: r.service ?? null,
              params,
              sources: r.sources,
            },
            null,
            2,
          ),
        );
      } else {
        io.out(r.hosts.map((h) => describeHost(r, h)).join('\n'));
        for (const [k, v] of Object.entries(params)) io.out(`  ${k} = ${v}  (${r.sources[k]})`);
      }
      return 0;
    }
    const { client, info } = await openCliSessionFrom(values, io);
    try {
      const v = (
        await client.query<{ v: string; u: string }>("SELECT current_setting('server_version') AS v, current_user AS u")
      ).rows[0];
      const full = { ...info, serverVersion: v.v, currentUser: v.u };
      io.out(values.json ? JSON.stringify(full, null, 2) : describeSessionInfo(full).join('\n'));
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PatroniEndpoint } from '../core/ha/patroniRest';
import { parsePatroniUrls } from '../core/ha/patroniRest';
import type { CliIo } from './command';
import { confirmAction, readableFile, requireFlag, UsageError } from './command';

/** The flags of commands that talk to Patroni's REST API, with Patroni's own names for the TLS files. */
export const patroniFlags = {
  patroni: { type: 'string' },
  'patroni-cafile': { type: 'string' },
  'patroni-certfile': { type: 'string' },
  'patroni-keyfile': { type: 'string' },
} as const;

export const patroniFlagsUsage =
  '  --patroni URL[,URL]  REST API of one or more members (restapi.connect_address); any member answers for all\n' +
  '  --patroni-cafile F  --patroni-certfile F  --patroni-keyfile F   TLS as restapi.cafile/certfile/keyfile\n' +
  "  Credentials of restapi.authentication come from PATRONI_RESTAPI_USERNAME and PATRONI_RESTAPI_PASSWORD, Patroni's\n" +
  '  own variables (never from a flag, which ps would show).\n';

type PatroniFlagValues = {
  patroni?: string;
  'patroni-cafile'?: string;
  'patroni-certfile'?: string;
  'patroni-keyfile'?: string;
};

export function patroniEndpointFromFlags(f: PatroniFlagValues, io: CliIo): PatroniEndpoint {
  const urls = parsePatroniUrls(requireFlag(f.patroni, 'patroni'));
  const read = (flag: keyof PatroniFlagValues): string | undefined => {
    const v = f[flag];
    return v ? fs.readFileSync(readableFile(path.resolve(io.cwd, v), `--${flag}`), 'utf8') : undefined;
  };
  const username = io.env.PATRONI_RESTAPI_USERNAME;
  const password = io.env.PATRONI_RESTAPI_PASSWORD;
  if ((username === undefined) !== (password === undefined))
    throw new UsageError('set both PATRONI_RESTAPI_USERNAME and PATRONI_RESTAPI_PASSWORD, or neither');
  if (f['patroni-keyfile'] && !f['patroni-certfile'])
    throw new UsageError('--patroni-keyfile needs --patroni-certfile');
  return {
    urls,
    auth: username !== undefined ? { username, password: password! } : undefined,
    tls: { ca: read('patroni-cafile'), cert: read('patroni-certfile'), key: read('patroni-keyfile') },
  };
}

/**
 * The confirmation of an action on a cluster: --yes, else a yes at the terminal; on a production cluster (or
 * for the kill methods) the person types the scope name, and `--scope NAME` is that typed name up front.
 */
export async function confirmOnCluster(
  io: CliIo,
  o: { question: string; scope: string | undefined; typedScope?: string; needsTypedScope: boolean; yes?: boolean },
): Promise<boolean> {
  if (o.needsTypedScope) {
    const scope = o.scope ?? '';
    if (o.typedScope !== undefined) {
      if (o.typedScope !== scope)
        throw new UsageError(`--scope "${o.typedScope}" is not this cluster's scope ("${scope}")`);
      return true;
    }
    if (!io.ask)
      throw new UsageError(`${o.question}: pass --scope ${scope || 'NAME'} (the cluster's scope name) to confirm`);
    return (await io.ask(`${o.question}? Type the cluster's scope name (${scope}) to go on: `)).trim() === scope;
  }
  if (o.yes) return true;
  return confirmAction(io, o.question, '--yes');
}

/**
 * Which pgoutput protocol versions and options each server version has: the one answer for the peek
 * (which refuses what the server lacks) and for the UI (which offers only what the server has).
 */
import { PgOpsError } from '../errors';

export interface PgoutputPeekOptions {
  publications?: string[];
  /** 1 (default) … 4; 2+ allows streaming, 3+ two_phase, 4 streaming = parallel. */
  protoVersion?: number;
  streaming?: 'on' | 'off' | 'parallel';
  twoPhase?: boolean;
  messages?: boolean;
}

/** The first server major whose pgoutput has logical decoding messages (pg_logical_emit_message). */
export const pgoutputMessagesSince = 14;

export interface PgoutputProtocol {
  label: string;
  description: string;
  /** The first server major whose pgoutput speaks it. */
  since: number;
  opts: PgoutputPeekOptions;
}

const protocols: PgoutputProtocol[] = [
  { label: 'Protocol 1', description: 'transactions as committed', since: 13, opts: { protoVersion: 1 } },
  {
    label: 'Protocol 2, streaming',
    description: 'large transactions in blocks (14+)',
    since: 14,
    opts: { protoVersion: 2, streaming: 'on' },
  },
  {
    label: 'Protocol 3, streaming and two-phase',
    description: 'prepared transactions too (15+)',
    since: 15,
    opts: { protoVersion: 3, streaming: 'on', twoPhase: true },
  },
  {
    label: 'Protocol 4, streaming = parallel',
    description: '(16+)',
    since: 16,
    opts: { protoVersion: 4, streaming: 'parallel' },
  },
];

const since = (protoVersion: number): number => protocols[protoVersion - 1].since;

/**
 * The protocols a server of `versionNum` (server_version_num) can peek with, oldest first. Each one's
 * options ask for logical decoding messages too where the server's pgoutput has them.
 */
export function pgoutputProtocolsFor(versionNum: number): PgoutputProtocol[] {
  const messages = versionNum >= pgoutputMessagesSince * 10000;
  return protocols.filter((p) => versionNum >= p.since * 10000).map((p) => ({ ...p, opts: { ...p.opts, messages } }));
}

/** Each option a peek may ask for, and the first server major whose pgoutput knows it. */
const optionSince: Array<[string, (o: PgoutputPeekOptions) => boolean, number]> = [
  ['messages', (o) => !!o.messages, pgoutputMessagesSince],
  ['streaming (protocol 2)', (o) => (o.protoVersion ?? 1) >= 2 || (!!o.streaming && o.streaming !== 'off'), since(2)],
  ['two_phase (protocol 3)', (o) => (o.protoVersion ?? 1) >= 3 || !!o.twoPhase, since(3)],
  ['streaming = parallel (protocol 4)', (o) => (o.protoVersion ?? 1) >= 4 || o.streaming === 'parallel', since(4)],
];

/** Refuses, before asking the server, an option this server's pgoutput does not have. */
export function requirePgoutputOptions(versionNum: number, slotName: string, opts: PgoutputPeekOptions): void {
  const missing = optionSince.filter(([, wanted, major]) => wanted(opts) && versionNum < major * 10000);
  if (missing.length === 0) return;
  const what = missing.map(([name, , major]) => `${name}, added in ${major}`).join('; ');
  throw new PgOpsError(
    'pgoutput-option-version',
    `Peeking replication slot "${slotName}": pgoutput of PostgreSQL ${Math.floor(versionNum / 10000)} has no ${what}`,
    'Peek with protocol 1 (and without logical messages before 14).',
  );
}

import { PgOpsError } from '../errors';
import { diagError } from './diagErrors';
import type { PgoutputMessage, TupleValue } from './pgoutput';
import { PgoutputDecoder } from './pgoutput';
import type { PgoutputPeekOptions } from './pgoutputProtocols';
import { requirePgoutputOptions } from './pgoutputProtocols';
import type { Queryable } from './queryable';

/** One change of a peek, shown as a row of the peek table. `text` is in test_decoding's format where there is one. */
export interface PeekRow {
  lsn: string;
  xid: string;
  kind: string;
  relation?: string;
  text: string;
}

export interface PeekResult {
  slotName: string;
  plugin: string;
  rows: PeekRow[];
  /** The options passed to the plugin (pgoutput), for the panel's header. */
  options: Record<string, string>;
  /** Warnings the server sent during the peek, e.g. PostgreSQL 18's "skipped loading publication". */
  warnings: string[];
}

interface NoticeSource {
  on(event: 'notice', fn: (n: { severity?: string; message?: string }) => void): unknown;
  off(event: 'notice', fn: (n: { severity?: string; message?: string }) => void): unknown;
}

/** Runs `fn`, collecting the WARNING notices the server sends meanwhile (when the client reports notices, as pg's Client does). */
async function withWarnings<T>(client: Queryable, fn: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const source =
    typeof (client as Partial<NoticeSource>).on === 'function' &&
    typeof (client as Partial<NoticeSource>).off === 'function'
      ? (client as unknown as NoticeSource)
      : undefined;
  const listener = (n: { severity?: string; message?: string }) => {
    if (n.severity === 'WARNING' && n.message) warnings.push(n.message);
  };
  source?.on('notice', listener);
  try {
    return { value: await fn(), warnings };
  } finally {
    source?.off('notice', listener);
  }
}

const simpleIdent = /^[a-z_][a-z0-9_$]*$/;
const reserved = new Set([
  'all',
  'analyse',
  'analyze',
  'and',
  'any',
  'array',
  'as',
  'asc',
  'case',
  'cast',
  'check',
  'collate',
  'column',
  'constraint',
  'create',
  'default',
  'desc',
  'distinct',
  'do',
  'else',
  'end',
  'except',
  'false',
  'for',
  'foreign',
  'from',
  'grant',
  'group',
  'having',
  'in',
  'into',
  'limit',
  'not',
  'null',
  'offset',
  'on',
  'only',
  'or',
  'order',
  'primary',
  'references',
  'select',
  'table',
  'then',
  'to',
  'true',
  'union',
  'unique',
  'user',
  'using',
  'when',
  'where',
  'with',
]);

/** Like the server's quote_identifier: quotes only names that need it. */
export function displayIdent(name: string): string {
  return simpleIdent.test(name) && !reserved.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const unquotedTypes = new Set([20, 21, 23, 26, 700, 701, 1700]);

/** A value the way test_decoding prints it: numbers bare, booleans as true/false, bit strings B'…', the rest quoted. */
export function literal(typeOid: number, value: string): string {
  if (unquotedTypes.has(typeOid)) return value;
  if (typeOid === 16) return value === 't' ? 'true' : 'false';
  if (typeOid === 1560 || typeOid === 1562) return `B'${value}'`;
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Renders a decoded pgoutput message the way test_decoding prints the same change, so both plugins'
 * output can be shown (and compared) side by side. Relation/Type messages have no text form there.
 */
export function testDecodingText(
  msg: PgoutputMessage,
  decoder: PgoutputDecoder,
  typeNames: Map<number, string>,
  xid?: string,
): string | undefined {
  const tableName = (relid: number) => {
    const rel = decoder.relation(relid);
    if (!rel)
      throw new PgOpsError(
        'pgoutput-relation',
        `pgoutput change refers to relation ${relid} before its Relation message`,
        'Peek from the start of the transaction.',
      );
    return `${displayIdent(rel.namespace)}.${displayIdent(rel.name)}`;
  };
  const tuple = (relid: number, values: TupleValue[], skipNulls: boolean) => {
    const rel = decoder.relation(relid);
    const parts: string[] = [];
    values.forEach((v, i) => {
      const col = rel?.columns[i];
      if (!col || (skipNulls && v.kind === 'null')) return;
      const type = typeNames.get(col.typeOid) ?? `oid ${col.typeOid}`;
      const shown =
        v.kind === 'null'
          ? 'null'
          : v.kind === 'unchanged-toast'
            ? 'unchanged-toast-datum'
            : v.kind === 'text'
              ? literal(col.typeOid, v.value)
              : `'\\x${Buffer.from(v.value).toString('hex')}'`;
      parts.push(` ${displayIdent(col.name)}[${type}]:${shown}`);
    });
    return parts.join('');
  };
  switch (msg.type) {
    case 'begin':
      return `BEGIN ${msg.xid}`;
    case 'commit':
      return xid === undefined ? undefined : `COMMIT ${xid}`;
    case 'insert':
      return `table ${tableName(msg.relid)}: INSERT:${tuple(msg.relid, msg.newTuple, false)}`;
    case 'update': {
      const oldKey = msg.oldTuple ? ` old-key:${tuple(msg.relid, msg.oldTuple, true)} new-tuple:` : '';
      return `table ${tableName(msg.relid)}: UPDATE:${oldKey}${tuple(msg.relid, msg.newTuple, false)}`;
    }
    case 'delete':
      return `table ${tableName(msg.relid)}: DELETE:${tuple(msg.relid, msg.oldTuple, true)}`;
    case 'truncate': {
      const flags = [msg.restartIdentity ? ' restart_seqs' : '', msg.cascade ? ' cascade' : ''].join('');
      return `table ${msg.relids.map(tableName).join(', ')}: TRUNCATE:${flags || ' (no-flags)'}`;
    }
    case 'message':
      return (
        `message: transactional: ${msg.transactional ? 1 : 0} prefix: ${msg.prefix}, sz: ${msg.content.length} ` +
        `content:${new TextDecoder().decode(msg.content)}`
      );
    case 'relation':
    case 'type':
      return undefined;
    default:
      return undefined;
  }
}

/** A short description of any message, for the rows test_decoding has no text for. */
function describe(msg: PgoutputMessage): string {
  switch (msg.type) {
    case 'commit':
      return `commit lsn ${msg.commitLsn}, end ${msg.endLsn}, at ${msg.commitTime.toISOString()}`;
    case 'relation':
      return (
        `relation ${msg.relation.namespace}.${msg.relation.name} (${msg.relation.columns.map((c) => c.name).join(', ')}), ` +
        `replica identity ${msg.relation.replicaIdentity}`
      );
    case 'type':
      return `type ${msg.namespace}.${msg.name} (oid ${msg.typeOid})`;
    case 'origin':
      return `origin ${msg.name} at ${msg.originLsn}`;
    case 'stream-start':
      return `stream start xid ${msg.xid}${msg.firstSegment ? ' (first segment)' : ''}`;
    case 'stream-stop':
      return 'stream stop';
    case 'stream-commit':
      return `stream commit xid ${msg.xid} lsn ${msg.commitLsn}`;
    case 'stream-abort':
      return `stream abort xid ${msg.xid} subxact ${msg.subXid}`;
    case 'begin-prepare':
      return `begin prepare xid ${msg.xid} gid '${msg.gid}'`;
    case 'prepare':
      return `prepare xid ${msg.xid} gid '${msg.gid}'`;
    case 'commit-prepared':
      return `commit prepared xid ${msg.xid} gid '${msg.gid}'`;
    case 'rollback-prepared':
      return `rollback prepared xid ${msg.xid} gid '${msg.gid}'`;
    case 'stream-prepare':
      return `stream prepare xid ${msg.xid} gid '${msg.gid}'`;
    default:
      return msg.type;
  }
}

interface SlotInfo {
  plugin: string | null;
  slot_type: string;
  database: string | null;
  current_db: string;
  version_num: number;
}

/** Reads changes of a logical slot without consuming them (at most `limit` changes). */
export async function peekSlot(
  client: Queryable,
  slotName: string,
  limit: number,
  opts: PgoutputPeekOptions = {},
): Promise<PeekResult> {
  const info = (
    await client.query<SlotInfo>(
      `SELECT plugin::text AS plugin, slot_type, database::text AS database, current_database()::text AS current_db,
      current_setting('server_version_num')::int AS version_num FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    )
  ).rows[0];
  if (!info)
    throw new PgOpsError(
      'slot-missing',
      `Replication slot "${slotName}" does not exist`,
      'Refresh the Replication view.',
    );
  if (info.slot_type !== 'logical' || !info.plugin)
    throw new PgOpsError(
      'slot-physical',
      `Replication slot "${slotName}" is physical: it has no changes to peek`,
      'Peek works on logical slots only.',
    );
  if (info.database !== info.current_db)
    throw new PgOpsError(
      'slot-database',
      `Replication slot "${slotName}" belongs to database "${info.database}", this session is on "${info.current_db}"`,
      `Connect a profile to database "${info.database}" to peek this slot.`,
    );
  try {
    if (info.plugin === 'pgoutput') return await peekPgoutput(client, slotName, limit, opts, info.version_num);
    const r = await client.query<{ lsn: string; xid: string; data: string }>(
      'SELECT lsn::text AS lsn, xid::text AS xid, data FROM pg_logical_slot_peek_changes($1, NULL, $2)',
      [slotName, limit],
    );
    return {
      slotName,
      plugin: info.plugin,
      options: {},
      rows: r.rows.map((x) => ({
        lsn: x.lsn,
        xid: x.xid,
        kind: textKind(x.data),
        relation: textRelation(x.data),
        text: x.data,
      })),
      warnings: [],
    };
  } catch (err) {
    throw diagError(err, `Peeking replication slot "${slotName}"`, 'REPLICATION');
  }
}

function textKind(data: string): string {
  const m = /^table [^:]+: (\w+):/.exec(data) ?? /^(BEGIN|COMMIT|message)/.exec(data);
  return (m?.[1] ?? 'other').toLowerCase();
}

function textRelation(data: string): string | undefined {
  return /^table ([^:]+):/.exec(data)?.[1];
}

export interface PublicationInfo {
  name: string;
  /** FOR ALL TABLES */
  allTables: boolean;
  /** tables it publishes now (all of them for FOR ALL TABLES) */
  tables: number;
}

/** The publications of the session's database, which a pgoutput peek decodes with (PostgreSQL 10+). */
export async function listPublications(client: Queryable): Promise<PublicationInfo[]> {
  const r = await client.query<PublicationInfo>(`SELECT p.pubname::text AS name, p.puballtables AS "allTables",
      (SELECT count(*) FROM pg_publication_tables t WHERE t.pubname = p.pubname)::int AS tables
    FROM pg_publication p ORDER BY 1`);
  return r.rows;
}

const catalogsAsOfChange = 'pgoutput reads the catalogs as they were when each change was written';

/** PostgreSQL 18 skips a publication missing at a change's time with a WARNING where 13–17 fail; say what that means here. */
function explainPeekWarning(message: string): string {
  if (!/skipped loading publication/i.test(message)) return message;
  return `${message}: ${catalogsAsOfChange}, and this publication did not exist yet, so changes it would publish are not shown.`;
}

async function peekPgoutput(
  client: Queryable,
  slotName: string,
  limit: number,
  opts: PgoutputPeekOptions,
  versionNum: number,
): Promise<PeekResult> {
  requirePgoutputOptions(versionNum, slotName, opts);
  const publications = opts.publications ?? (await listPublications(client)).map((p) => p.name);
  if (publications.length === 0)
    throw new PgOpsError(
      'pgoutput-no-publication',
      `Slot "${slotName}" uses pgoutput, which needs a publication, and this database has none`,
      'Create one (CREATE PUBLICATION … FOR TABLE …) or name the publication the subscriber uses.',
    );
  const options: Record<string, string> = {
    proto_version: String(opts.protoVersion ?? 1),
    publication_names: publications.map((p) => `"${p.replace(/"/g, '""')}"`).join(','),
  };
  if (opts.streaming && opts.streaming !== 'off') options.streaming = opts.streaming;
  if (opts.twoPhase) options.two_phase = 'on';
  if (opts.messages) options.messages = 'on';
  const pairs = Object.entries(options).flat();
  const placeholders = pairs.map((_, i) => `$${i + 3}`).join(', ');
  const { value: r, warnings } = await withWarnings(client, () =>
    client
      .query<{ lsn: string; xid: string; data: Buffer }>(
        `SELECT lsn::text AS lsn, xid::text AS xid, data FROM pg_logical_slot_peek_binary_changes($1, NULL, $2, ${placeholders})`,
        [slotName, limit, ...pairs],
      )
      .catch((err: { code?: string; message?: string }) => {
        if (err.code !== '42704' || !/^publication .* does not exist$/.test(err.message ?? '')) throw err;
        throw new PgOpsError(
          'pgoutput-publication-later',
          `Peeking replication slot "${slotName}": ${err.message}`,
          `${catalogsAsOfChange}, so a publication created after the pending changes cannot decode them. ` +
            'Choose one that existed then, such as the one the subscriber uses.',
          { cause: err },
        );
      }),
  );
  const decoder = new PgoutputDecoder();
  const decoded = r.rows.map((x) => ({ lsn: x.lsn, xid: x.xid, msg: decoder.decode(new Uint8Array(x.data)) }));
  const typeNames = await formatTypes(
    client,
    decoded.flatMap((d) => (d.msg.type === 'relation' ? d.msg.relation.columns.map((c) => c.typeOid) : [])),
  );
  const replay = new PgoutputDecoder();
  const rows = r.rows.map((x) => {
    const msg = replay.decode(new Uint8Array(x.data));
    const relid = 'relid' in msg ? msg.relid : undefined;
    const rel = relid !== undefined ? replay.relation(relid) : msg.type === 'relation' ? msg.relation : undefined;
    return {
      lsn: x.lsn,
      xid: x.xid,
      kind: msg.type,
      relation: rel ? `${rel.namespace}.${rel.name}` : undefined,
      text: testDecodingText(msg, replay, typeNames, x.xid) ?? describe(msg),
    };
  });
  return { slotName, plugin: 'pgoutput', options, rows, warnings: warnings.map(explainPeekWarning) };
}

/** format_type of each type oid, the name test_decoding prints in brackets. */
async function formatTypes(client: Queryable, oids: number[]): Promise<Map<number, string>> {
  const unique = [...new Set(oids)];
  const names = new Map<number, string>();
  if (unique.length === 0) return names;
  const r = await client.query<{ oid: number; name: string }>(
    'SELECT t::int8 AS oid, format_type(t, NULL) AS name FROM unnest($1::oid[]) t',
    [unique],
  );
  for (const row of r.rows) names.set(Number(row.oid), row.name);
  return names;
}

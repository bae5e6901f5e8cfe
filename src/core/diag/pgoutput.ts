/**
 * A decoder of pgoutput's logical replication messages (protocol versions 1–4), as returned one
 * per row by pg_logical_slot_peek_binary_changes. Stateful: Relation messages define the columns
 * that later Insert/Update/Delete refer to, and inside a streamed transaction (Stream Start … Stream
 * Stop) data messages carry the xid after their type byte.
 */

export interface PgoutputColumn {
  name: string;
  typeOid: number;
  typmod: number;
  /** Part of the replica identity key. */
  key: boolean;
}

export interface PgoutputRelation {
  relid: number;
  namespace: string;
  name: string;
  replicaIdentity: string;
  columns: PgoutputColumn[];
}

/** One column of a tuple: a text value, SQL NULL, an unchanged TOASTed value, or binary (binary = true). */
export type TupleValue =
  | { kind: 'null' }
  | { kind: 'unchanged-toast' }
  | { kind: 'text'; value: string }
  | { kind: 'binary'; value: Uint8Array };

export type PgoutputMessage =
  | { type: 'begin'; finalLsn: string; commitTime: Date; xid: number }
  | { type: 'commit'; flags: number; commitLsn: string; endLsn: string; commitTime: Date }
  | { type: 'origin'; originLsn: string; name: string }
  | { type: 'relation'; xid?: number; relation: PgoutputRelation }
  | { type: 'type'; xid?: number; typeOid: number; namespace: string; name: string }
  | { type: 'insert'; xid?: number; relid: number; newTuple: TupleValue[] }
  | {
      type: 'update';
      xid?: number;
      relid: number;
      oldKind?: 'key' | 'old';
      oldTuple?: TupleValue[];
      newTuple: TupleValue[];
    }
  | { type: 'delete'; xid?: number; relid: number; oldKind: 'key' | 'old'; oldTuple: TupleValue[] }
  | { type: 'truncate'; xid?: number; cascade: boolean; restartIdentity: boolean; relids: number[] }
  | { type: 'message'; xid?: number; transactional: boolean; lsn: string; prefix: string; content: Uint8Array }
  | { type: 'stream-start'; xid: number; firstSegment: boolean }
  | { type: 'stream-stop' }
  | { type: 'stream-commit'; xid: number; flags: number; commitLsn: string; endLsn: string; commitTime: Date }
  | { type: 'stream-abort'; xid: number; subXid: number; abortLsn?: string; abortTime?: Date }
  | { type: 'begin-prepare'; prepareLsn: string; endLsn: string; prepareTime: Date; xid: number; gid: string }
  | { type: 'prepare'; flags: number; prepareLsn: string; endLsn: string; prepareTime: Date; xid: number; gid: string }
  | {
      type: 'commit-prepared';
      flags: number;
      commitLsn: string;
      endLsn: string;
      commitTime: Date;
      xid: number;
      gid: string;
    }
  | {
      type: 'rollback-prepared';
      flags: number;
      prepareEndLsn: string;
      rollbackEndLsn: string;
      prepareTime: Date;
      rollbackTime: Date;
      xid: number;
      gid: string;
    }
  | {
      type: 'stream-prepare';
      flags: number;
      prepareLsn: string;
      endLsn: string;
      prepareTime: Date;
      xid: number;
      gid: string;
    };

export class PgoutputDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgoutputDecodeError';
  }
}

/** PostgreSQL timestamps count microseconds from 2000-01-01 UTC. */
const pgEpochMs = Date.UTC(2000, 0, 1);

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length)
      throw new PgoutputDecodeError(`message truncated: need ${n} bytes at offset ${this.pos} of ${this.buf.length}`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  char(): string {
    return String.fromCharCode(this.byte());
  }

  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** An LSN in PostgreSQL's text form, e.g. 0/16B3748. */
  lsn(): string {
    const hi = this.uint32();
    const lo = this.uint32();
    return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
  }

  timestamp(): Date {
    this.need(8);
    const micros = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return new Date(pgEpochMs + Number(micros / 1000n));
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new PgoutputDecodeError(`unterminated string at offset ${this.pos}`);
    const s = new TextDecoder().decode(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function tupleData(r: Reader): TupleValue[] {
  const n = r.int16();
  const values: TupleValue[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.char();
    if (kind === 'n') values.push({ kind: 'null' });
    else if (kind === 'u') values.push({ kind: 'unchanged-toast' });
    else if (kind === 't') values.push({ kind: 'text', value: new TextDecoder().decode(r.bytes(r.int32())) });
    else if (kind === 'b') values.push({ kind: 'binary', value: r.bytes(r.int32()) });
    else throw new PgoutputDecodeError(`unknown tuple column kind "${kind}"`);
  }
  return values;
}

export class PgoutputDecoder {
  private readonly relations = new Map<number, PgoutputRelation>();
  private readonly types = new Map<number, { namespace: string; name: string }>();
  private inStream = false;

  relation(relid: number): PgoutputRelation | undefined {
    return this.relations.get(relid);
  }

  typeName(oid: number): { namespace: string; name: string } | undefined {
    return this.types.get(oid);
  }

  decode(data: Uint8Array): PgoutputMessage {
    const r = new Reader(data);
    const tag = r.char();
    const streamXid = () => (this.inStream ? r.uint32() : undefined);
    switch (tag) {
      case 'B':
        return { type: 'begin', finalLsn: r.lsn(), commitTime: r.timestamp(), xid: r.uint32() };
      case 'C':
        return { type: 'commit', flags: r.byte(), commitLsn: r.lsn(), endLsn: r.lsn(), commitTime: r.timestamp() };
      case 'O':
        return { type: 'origin', originLsn: r.lsn(), name: r.cstring() };
      case 'R': {
        const xid = streamXid();
        const relation: PgoutputRelation = {
          relid: r.uint32(),
          namespace: r.cstring(),
          name: r.cstring(),
          replicaIdentity: r.char(),
          columns: [],
        };
        const n = r.int16();
        for (let i = 0; i < n; i++) {
          const flags = r.byte();
          relation.columns.push({ key: (flags & 1) === 1, name: r.cstring(), typeOid: r.uint32(), typmod: r.int32() });
        }
        this.relations.set(relation.relid, relation);
        return { type: 'relation', xid, relation };
      }
      case 'Y': {
        const xid = streamXid();
        const typeOid = r.uint32();
        const namespace = r.cstring();
        const name = r.cstring();
        this.types.set(typeOid, { namespace, name });
        return { type: 'type', xid, typeOid, namespace, name };
      }
      case 'I': {
        const xid = streamXid();
        const relid = r.uint32();
        const n = r.char();
        if (n !== 'N') throw new PgoutputDecodeError(`Insert: expected "N", got "${n}"`);
        return { type: 'insert', xid, relid, newTuple: tupleData(r) };
      }
      case 'U': {
        const xid = streamXid();
        const relid = r.uint32();
        let sub = r.char();
        let oldKind: 'key' | 'old' | undefined;
        let oldTuple: TupleValue[] | undefined;
        if (sub === 'K' || sub === 'O') {
          oldKind = sub === 'K' ? 'key' : 'old';
          oldTuple = tupleData(r);
          sub = r.char();
        }
        if (sub !== 'N') throw new PgoutputDecodeError(`Update: expected "N", got "${sub}"`);
        return { type: 'update', xid, relid, oldKind, oldTuple, newTuple: tupleData(r) };
      }
      case 'D': {
        const xid = streamXid();
        const relid = r.uint32();
        const sub = r.char();
        if (sub !== 'K' && sub !== 'O') throw new PgoutputDecodeError(`Delete: expected "K" or "O", got "${sub}"`);
        return { type: 'delete', xid, relid, oldKind: sub === 'K' ? 'key' : 'old', oldTuple: tupleData(r) };
      }
      case 'T': {
        const xid = streamXid();
        const count = r.int32();
        const options = r.byte();
        const relids: number[] = [];
        for (let i = 0; i < count; i++) relids.push(r.uint32());
        return { type: 'truncate', xid, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2, relids };
      }
      case 'M': {
        const xid = streamXid();
        const flags = r.byte();
        const lsn = r.lsn();
        const prefix = r.cstring();
        return { type: 'message', xid, transactional: (flags & 1) === 1, lsn, prefix, content: r.bytes(r.int32()) };
      }
      case 'S': {
        const xid = r.uint32();
        const firstSegment = r.byte() === 1;
        this.inStream = true;
        return { type: 'stream-start', xid, firstSegment };
      }
      case 'E':
        this.inStream = false;
        return { type: 'stream-stop' };
      case 'c':
        return {
          type: 'stream-commit',
          xid: r.uint32(),
          flags: r.byte(),
          commitLsn: r.lsn(),
          endLsn: r.lsn(),
          commitTime: r.timestamp(),
        };
      case 'A': {
        const xid = r.uint32();
        const subXid = r.uint32();
        // Protocol 4 with streaming = parallel adds the abort LSN and time.
        if (r.remaining >= 16)
          return { type: 'stream-abort', xid, subXid, abortLsn: r.lsn(), abortTime: r.timestamp() };
        return { type: 'stream-abort', xid, subXid };
      }
      case 'b':
        return {
          type: 'begin-prepare',
          prepareLsn: r.lsn(),
          endLsn: r.lsn(),
          prepareTime: r.timestamp(),
          xid: r.uint32(),
          gid: r.cstring(),
        };
      case 'P':
        return {
          type: 'prepare',
          flags: r.byte(),
          prepareLsn: r.lsn(),
          endLsn: r.lsn(),
          prepareTime: r.timestamp(),
          xid: r.uint32(),
          gid: r.cstring(),
        };
      case 'K':
        return {
          type: 'commit-prepared',
          flags: r.byte(),
          commitLsn: r.lsn(),
          endLsn: r.lsn(),
          commitTime: r.timestamp(),
          xid: r.uint32(),
          gid: r.cstring(),
        };
      case 'r':
        return {
          type: 'rollback-prepared',
          flags: r.byte(),
          prepareEndLsn: r.lsn(),
          rollbackEndLsn: r.lsn(),
          prepareTime: r.timestamp(),
          rollbackTime: r.timestamp(),
          xid: r.uint32(),
          gid: r.cstring(),
        };
      case 'p':
        return {
          type: 'stream-prepare',
          flags: r.byte(),
          prepareLsn: r.lsn(),
          endLsn: r.lsn(),
          prepareTime: r.timestamp(),
          xid: r.uint32(),
          gid: r.cstring(),
        };
      default:
        throw new PgoutputDecodeError(`unknown pgoutput message type "${tag}" (0x${tag.charCodeAt(0).toString(16)})`);
    }
  }
}

import * as assert from 'node:assert/strict';
import { PgoutputDecoder, PgoutputDecodeError } from '../../src/core/diag/pgoutput';
import { literal, testDecodingText } from '../../src/core/diag/logicalPeek';

/** Builds protocol messages byte by byte, as the server's pgoutput writes them (logicalproto.c layout). */
class Msg {
  private parts: Buffer[] = [];
  constructor(tag: string) {
    this.c(tag);
  }
  c(s: string): this {
    this.parts.push(Buffer.from(s, 'latin1'));
    return this;
  }
  i8(n: number): this {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  i16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  i32(n: number): this {
    const b = Buffer.alloc(4);
    if (n < 0) b.writeInt32BE(n);
    else b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }
  i64(n: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    this.parts.push(b);
    return this;
  }
  lsn(hi: number, lo: number): this {
    return this.i32(hi).i32(lo);
  }
  str(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }
  text(s: string): this {
    const v = Buffer.from(s, 'utf8');
    return this.c('t').i32(v.length).raw(v);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  get bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

/** 2024-01-01T00:00:00Z in microseconds since 2000-01-01. */
const ts2024 = BigInt(Date.UTC(2024, 0, 1) - Date.UTC(2000, 0, 1)) * 1000n;

const relation = (xid?: number) => {
  const m = new Msg('R');
  if (xid !== undefined) m.i32(xid);
  return m
    .i32(16384)
    .str('public')
    .str('t')
    .c('d')
    .i16(2)
    .i8(1)
    .str('id')
    .i32(23)
    .i32(-1)
    .i8(0)
    .str('name')
    .i32(25)
    .i32(-1).bytes;
};

describe('diag pgoutput decoder', () => {
  it('decodes a protocol-1 transaction and renders it like test_decoding', () => {
    const d = new PgoutputDecoder();
    const begin = d.decode(new Msg('B').lsn(0, 0x16b3748).i64(ts2024).i32(735).bytes);
    assert.deepEqual(begin, {
      type: 'begin',
      finalLsn: '0/16B3748',
      commitTime: new Date(Date.UTC(2024, 0, 1)),
      xid: 735,
    });
    d.decode(relation());
    const types = new Map([
      [23, 'integer'],
      [25, 'text'],
    ]);
    const ins = d.decode(new Msg('I').i32(16384).c('N').i16(2).text('1').text("it's").bytes);
    assert.equal(testDecodingText(ins, d, types), "table public.t: INSERT: id[integer]:1 name[text]:'it''s'");
    const upd = d.decode(new Msg('U').i32(16384).c('K').i16(2).text('1').c('n').c('N').i16(2).text('2').c('u').bytes);
    assert.equal(
      testDecodingText(upd, d, types),
      'table public.t: UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 name[text]:unchanged-toast-datum',
    );
    const del = d.decode(new Msg('D').i32(16384).c('K').i16(2).text('2').c('n').bytes);
    assert.equal(testDecodingText(del, d, types), 'table public.t: DELETE: id[integer]:2');
    const trunc = d.decode(new Msg('T').i32(1).i8(3).i32(16384).bytes);
    assert.equal(testDecodingText(trunc, d, types), 'table public.t: TRUNCATE: restart_seqs cascade');
    const commit = d.decode(new Msg('C').i8(0).lsn(0, 0x16b3748).lsn(0, 0x16b3778).i64(ts2024).bytes);
    assert.equal(commit.type, 'commit');
    assert.equal(testDecodingText(commit, d, types, '735'), 'COMMIT 735');
  });

  it('reads the xid of data messages inside a streamed transaction (protocol 2+), and not outside', () => {
    const d = new PgoutputDecoder();
    assert.deepEqual(d.decode(new Msg('S').i32(900).i8(1).bytes), {
      type: 'stream-start',
      xid: 900,
      firstSegment: true,
    });
    const rel = d.decode(relation(900));
    assert.equal(rel.type === 'relation' && rel.xid, 900);
    const ins = d.decode(new Msg('I').i32(901).i32(16384).c('N').i16(2).text('5').c('n').bytes);
    assert.deepEqual(ins, {
      type: 'insert',
      xid: 901,
      relid: 16384,
      newTuple: [{ kind: 'text', value: '5' }, { kind: 'null' }],
    });
    const msg = d.decode(new Msg('M').i32(900).i8(1).lsn(0, 0x100).str('app').i32(2).c('hi').bytes);
    assert.ok(
      msg.type === 'message' &&
        msg.xid === 900 &&
        msg.prefix === 'app' &&
        Buffer.from(msg.content).toString() === 'hi' &&
        msg.transactional,
    );
    assert.deepEqual(d.decode(new Msg('E').bytes), { type: 'stream-stop' });
    const outside = d.decode(new Msg('I').i32(16384).c('N').i16(2).text('6').c('n').bytes);
    assert.equal(outside.type === 'insert' && outside.xid, undefined);
    const sc = d.decode(new Msg('c').i32(900).i8(0).lsn(0, 0x200).lsn(0, 0x210).i64(ts2024).bytes);
    assert.ok(sc.type === 'stream-commit' && sc.xid === 900 && sc.commitLsn === '0/200');
  });

  it('decodes stream abort with and without the protocol-4 parallel fields', () => {
    const d = new PgoutputDecoder();
    assert.deepEqual(d.decode(new Msg('A').i32(900).i32(901).bytes), { type: 'stream-abort', xid: 900, subXid: 901 });
    const p4 = d.decode(new Msg('A').i32(900).i32(900).lsn(1, 0x10).i64(ts2024).bytes);
    assert.ok(p4.type === 'stream-abort' && p4.abortLsn === '1/10' && p4.abortTime?.getTime() === Date.UTC(2024, 0, 1));
  });

  it('decodes the two-phase messages of protocol 3 (begin prepare, prepare, commit/rollback prepared, stream prepare)', () => {
    const d = new PgoutputDecoder();
    const bp = d.decode(new Msg('b').lsn(0, 0x10).lsn(0, 0x20).i64(ts2024).i32(77).str('gid-1').bytes);
    assert.deepEqual(bp, {
      type: 'begin-prepare',
      prepareLsn: '0/10',
      endLsn: '0/20',
      prepareTime: new Date(Date.UTC(2024, 0, 1)),
      xid: 77,
      gid: 'gid-1',
    });
    const p = d.decode(new Msg('P').i8(0).lsn(0, 0x10).lsn(0, 0x20).i64(ts2024).i32(77).str('gid-1').bytes);
    assert.ok(p.type === 'prepare' && p.gid === 'gid-1' && p.xid === 77);
    const k = d.decode(new Msg('K').i8(0).lsn(0, 0x30).lsn(0, 0x40).i64(ts2024).i32(77).str('gid-1').bytes);
    assert.ok(k.type === 'commit-prepared' && k.commitLsn === '0/30');
    const r = d.decode(
      new Msg('r')
        .i8(0)
        .lsn(0, 0x20)
        .lsn(0, 0x50)
        .i64(ts2024)
        .i64(ts2024 + 1_000_000n)
        .i32(77)
        .str('gid-1').bytes,
    );
    assert.ok(
      r.type === 'rollback-prepared' &&
        r.rollbackEndLsn === '0/50' &&
        r.rollbackTime.getTime() === Date.UTC(2024, 0, 1) + 1000,
    );
    const sp = d.decode(new Msg('p').i8(0).lsn(0, 0x10).lsn(0, 0x20).i64(ts2024).i32(78).str('gid-2').bytes);
    assert.ok(sp.type === 'stream-prepare' && sp.xid === 78);
  });

  it('decodes Type and Origin messages', () => {
    const d = new PgoutputDecoder();
    assert.deepEqual(d.decode(new Msg('Y').i32(16500).str('public').str('mood').bytes), {
      type: 'type',
      xid: undefined,
      typeOid: 16500,
      namespace: 'public',
      name: 'mood',
    });
    assert.deepEqual(d.typeName(16500), { namespace: 'public', name: 'mood' });
    assert.deepEqual(d.decode(new Msg('O').lsn(0, 0x99).str('node_a').bytes), {
      type: 'origin',
      originLsn: '0/99',
      name: 'node_a',
    });
  });

  it('rejects truncated and unknown messages with a reason', () => {
    const d = new PgoutputDecoder();
    assert.throws(() => d.decode(new Msg('B').lsn(0, 1).bytes), PgoutputDecodeError);
    assert.throws(() => d.decode(new Msg('Z').bytes), /unknown pgoutput message type "Z"/);
  });

  it('prints literals the way test_decoding does', () => {
    assert.equal(literal(23, '42'), '42');
    assert.equal(literal(1700, '-2.50'), '-2.50');
    assert.equal(literal(16, 't'), 'true');
    assert.equal(literal(1560, '101'), "B'101'");
    assert.equal(literal(25, "o'k"), "'o''k'");
  });
});

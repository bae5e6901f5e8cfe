/**
 * A minimal PostgreSQL protocol client for the pg_hba differential test: it sends a startup packet
 * (optionally after SSLRequest, optionally from a chosen 127.x source address) and answers every
 * password challenge wrongly — cleartext, md5 and a SCRAM exchange with a bad proof — so that the
 * server fails authentication and logs which pg_hba.conf line it used. It never logs in by password.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';

export type ProbeOutcome = { kind: 'ok' } | { kind: 'error'; code: string; message: string };

export interface ProbeOptions {
  socketPath?: string;
  host: string;
  port: number;
  localAddress?: string;
  ssl?: boolean;
  user: string;
  database: string;
  replication?: 'physical' | 'logical';
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

function startup(o: ProbeOptions): Buffer {
  const params = ['user', o.user, 'database', o.database, 'application_name', 'pgops hba probe'];
  if (o.replication) params.push('replication', o.replication === 'physical' ? 'true' : 'database');
  const body = Buffer.concat([...params.map(cstr), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

async function connect(o: ProbeOptions): Promise<net.Socket | tls.TLSSocket> {
  const socket = o.socketPath
    ? net.connect({ path: o.socketPath })
    : net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (!o.ssl) return socket;
  const request = Buffer.alloc(8);
  request.writeInt32BE(8, 0);
  request.writeInt32BE(80877103, 4);
  socket.write(request);
  const answer = await new Promise<string>((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString('latin1', 0, 1)));
    socket.once('error', reject);
  });
  if (answer !== 'S') throw new Error(`server refused SSL (answered "${answer}")`);
  const secure = tls.connect({ socket, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  return secure;
}

function errorFields(body: Buffer): { code: string; message: string } {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    fields[String.fromCharCode(body[i])] = body.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return { code: fields.C ?? '', message: fields.M ?? '' };
}

/** Runs one attempt to its end: AuthenticationOk (then ReadyForQuery or an error), or the server's error. */
export async function probeConnection(o: ProbeOptions, timeoutMs = 10_000): Promise<ProbeOutcome> {
  const socket = await connect(o);
  let buffer = Buffer.alloc(0);
  let clientNonce = '';
  let authenticated = false;
  try {
    return await new Promise<ProbeOutcome>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${timeoutMs} ms for ${JSON.stringify(o)}`)),
        timeoutMs,
      );
      const finish = (outcome: ProbeOutcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      socket.on('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () =>
        finish(authenticated ? { kind: 'ok' } : { kind: 'error', code: '', message: 'connection closed' }),
      );
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 5) {
          const len = buffer.readInt32BE(1);
          if (buffer.length < len + 1) break;
          const type = buffer.toString('latin1', 0, 1);
          const body = buffer.subarray(5, len + 1);
          buffer = buffer.subarray(len + 1);
          if (type === 'E') {
            finish(authenticated ? { kind: 'ok' } : { kind: 'error', ...errorFields(body) });
            return;
          }
          if (type === 'Z') {
            finish({ kind: 'ok' });
            return;
          }
          if (type !== 'R') continue;
          const code = body.readInt32BE(0);
          if (code === 0) {
            authenticated = true;
          } else if (code === 3) {
            socket.write(message('p', cstr('not-the-password')));
          } else if (code === 5) {
            socket.write(message('p', cstr(`md5${crypto.randomBytes(16).toString('hex')}`)));
          } else if (code === 10) {
            clientNonce = crypto.randomBytes(18).toString('base64');
            const first = Buffer.from(`n,,n=,r=${clientNonce}`);
            const len4 = Buffer.alloc(4);
            len4.writeInt32BE(first.length, 0);
            socket.write(message('p', Buffer.concat([cstr('SCRAM-SHA-256'), len4, first])));
          } else if (code === 11) {
            const serverFirst = body.toString('utf8', 4);
            const nonce = /r=([^,]+)/.exec(serverFirst)?.[1] ?? '';
            socket.write(message('p', Buffer.from(`c=biws,r=${nonce},p=${crypto.randomBytes(32).toString('base64')}`)));
          } else {
            finish({ kind: 'error', code: '', message: `unexpected authentication request ${code}` });
            return;
          }
        }
      });
      socket.write(startup(o));
    });
  } finally {
    socket.destroy();
  }
}

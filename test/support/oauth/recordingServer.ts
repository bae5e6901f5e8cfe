/**
 * A server an attacker could run: it speaks just enough of the PostgreSQL protocol to ask for
 * OAUTHBEARER, records every SASL initial response it receives (where a bearer token would arrive)
 * and answers each with the error challenge naming whatever issuer it likes, then refuses. It is not
 * a PostgreSQL on purpose: what matters is which bytes reach a hostile server, and a real
 * PostgreSQL records no SASL message. With `tls` it accepts SSLRequest like a server with ssl=on;
 * without it, it answers 'N' like a server without TLS.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';

export interface RecordingServer {
  port: number;
  /** The client initial response of every OAUTHBEARER exchange, in order (`n,,\x01auth=…\x01\x01`). */
  initialResponses: string[];
  /** Connections that completed a startup message. */
  startups: number;
  /** How many of them ran over TLS. */
  tlsStartups: number;
  /** Whether any initial response carried a bearer token. */
  sawToken(): boolean;
  /** The initial responses for an assertion message, each token replaced by <token>: a test's output shows no token. */
  summary(): string;
  close(): Promise<void>;
}

export interface RecordingServerOptions {
  /** The `openid-configuration` URI its challenge names. */
  discoveryUri: string;
  scope?: string;
  /** Key and certificate (PEM) to accept TLS with; without them SSLRequest is declined. */
  tls?: { key: string; cert: string };
}

const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;

function message(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), len, body]);
}

function authMessage(code: number, data = ''): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(code);
  return message('R', Buffer.concat([head, Buffer.from(data)]));
}

function fatal(text: string): Buffer {
  const fields = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', '28000'],
    ['M', text],
  ]
    .map(([k, v]) => `${k}${v}\0`)
    .join('');
  return message('E', Buffer.from(`${fields}\0`));
}

export async function startRecordingServer(opts: RecordingServerOptions): Promise<RecordingServer> {
  const initialResponses: string[] = [];
  const counts = { startups: 0, tlsStartups: 0 };
  const challenge = JSON.stringify({
    status: 'invalid_token',
    'openid-configuration': opts.discoveryUri,
    scope: opts.scope ?? 'openid',
  });
  const sockets = new Set<net.Socket>();

  /** Reads the startup phase and the SASL messages of one connection (`socket` may be TLS after a switch). */
  const serve = (socket: net.Socket, encrypted: boolean): void => {
    let buf = Buffer.alloc(0);
    let started = false;
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8 || buf.length < buf.readInt32BE(0)) return;
          const len = buf.readInt32BE(0);
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === sslRequestCode && opts.tls && !encrypted) {
            socket.off('data', onData);
            socket.write('S', () =>
              serve(new tls.TLSSocket(socket, { isServer: true, key: opts.tls!.key, cert: opts.tls!.cert }), true),
            );
            return;
          }
          if (code === sslRequestCode || code === gssEncRequestCode) {
            socket.write('N');
            continue;
          }
          started = true;
          counts.startups += 1;
          if (encrypted) counts.tlsStartups += 1;
          socket.write(authMessage(10, 'OAUTHBEARER\0\0'));
          continue;
        }
        if (buf.length < 5 || buf.length < buf.readInt32BE(1) + 1) return;
        const len = buf.readInt32BE(1);
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type !== 'p') continue;
        const mechanismEnd = body.indexOf(0);
        if (body.subarray(0, mechanismEnd).toString() === 'OAUTHBEARER') {
          initialResponses.push(body.subarray(mechanismEnd + 5).toString('utf8'));
          socket.write(authMessage(11, challenge));
        } else {
          socket.end(fatal('OAuth bearer authentication failed'));
        }
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    initialResponses,
    get startups() {
      return counts.startups;
    },
    get tlsStartups() {
      return counts.tlsStartups;
    },
    sawToken: () => initialResponses.some((r) => /auth=Bearer/i.test(r)),
    summary: () => JSON.stringify(initialResponses.map((r) => r.replace(/(auth=Bearer )[^\x01]*/gi, '$1<token>'))),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

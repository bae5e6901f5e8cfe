/**
 * An attacker's "server" for tests: a TCP listener that speaks just enough of the PostgreSQL protocol to
 * ask every client for a cleartext password (AuthenticationCleartextPassword), records what arrives, and
 * refuses the login. A real PostgreSQL cannot play this part: it never reveals the password a client sent
 * (log_connections logs the attempt, not the secret), and an attacker's server is exactly this small.
 */
import * as net from 'node:net';

export interface TrapVisit {
  user?: string;
  database?: string;
  /** The password message's text, when the client sent one. */
  password?: string;
  closed: boolean;
}

export interface PasswordTrap {
  host: string;
  port: number;
  visits: TrapVisit[];
  close(): Promise<void>;
}

const sslRequest = 80877103;
const gssEncRequest = 80877104;

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function cleartextPasswordRequest(): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(3, 0);
  return message('R', body);
}

function passwordRefused(user: string): Buffer {
  const fields = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', '28P01'],
    ['M', `password authentication failed for user "${user}"`],
  ];
  return message('E', Buffer.concat([...fields.map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8')), Buffer.from([0])]));
}

/** Startup packet parameters (user, database, …) as the client sent them. */
function startupParams(body: Buffer): Record<string, string> {
  const parts = body.subarray(4).toString('utf8').split('\0');
  const params: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params[parts[i]] = parts[i + 1];
  return params;
}

function serve(socket: net.Socket, visit: TrapVisit): void {
  let buffered = Buffer.alloc(0);
  let started = false;
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!started) {
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        const body = buffered.subarray(4, length);
        buffered = buffered.subarray(length);
        if (code === sslRequest || code === gssEncRequest) {
          socket.write('N');
          continue;
        }
        started = true;
        const params = startupParams(body);
        visit.user = params.user;
        visit.database = params.database;
        socket.write(cleartextPasswordRequest());
        continue;
      }
      if (buffered.length < 5) return;
      const length = buffered.readInt32BE(1);
      if (buffered.length < length + 1) return;
      const type = String.fromCharCode(buffered[0]);
      const body = buffered.subarray(5, length + 1);
      buffered = buffered.subarray(length + 1);
      if (type === 'p') {
        visit.password = body.toString('utf8').replace(/\0$/, '');
        socket.end(passwordRefused(visit.user ?? ''));
      }
    }
  });
}

/** Listens on host:port (another loopback address than the real server's, to stand for another machine). */
export async function startPasswordTrap(host: string, port = 0): Promise<PasswordTrap> {
  const visits: TrapVisit[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const visit: TrapVisit = { closed: false };
    visits.push(visit);
    sockets.add(socket);
    socket.on('close', () => {
      visit.closed = true;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    serve(socket, visit);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as net.AddressInfo).port,
    visits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

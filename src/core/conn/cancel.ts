import * as net from 'node:net';
import type { Client } from 'pg';
import { CancelledError } from '../errors';

/** The fields of a pg Client a cancel request needs (set once the server sent BackendKeyData). */
interface CancelKey {
  host?: string;
  port?: number;
  processID?: number | null;
  secretKey?: number | null;
}

/** CancelRequest: length 16, code 80877102, the backend's process id and secret key. */
const cancelRequestCode = 80877102;

/**
 * Asks the server to cancel what a session is running, the way libpq's PQcancel does: a new socket to the
 * same host and port carrying the session's process id and secret key (no authentication is involved).
 * Resolves once sent, or at once when the session never got a backend key; never rejects.
 */
export function sendCancelRequest(client: Client, timeoutMs = 5000): Promise<void> {
  const key = client as unknown as CancelKey;
  if (!key.processID || key.secretKey === undefined || key.secretKey === null || !key.host || !key.port)
    return Promise.resolve();
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(cancelRequestCode, 4);
  message.writeInt32BE(key.processID, 8);
  message.writeInt32BE(key.secretKey, 12);
  return new Promise((resolve) => {
    const socket = key.host!.startsWith('/')
      ? net.connect(`${key.host}/.s.PGSQL.${key.port}`)
      : net.connect(key.port!, key.host);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.end(message));
  });
}

/**
 * Runs `work` (queries on `client`); when `signal` aborts first, the server is asked to cancel the running
 * statement and the result is CancelledError, whatever error the cancelled statement raised.
 */
export async function runCancellable<T>(
  client: Client,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new CancelledError();
  let running = true;
  const onAbort = () => {
    if (running) void sendCancelRequest(client);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } catch (err) {
    if (signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    running = false;
    signal?.removeEventListener('abort', onAbort);
  }
}

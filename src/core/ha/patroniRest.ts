import * as http from 'node:http';
import * as https from 'node:https';
import { CancelledError, PgOpsError } from '../errors';

/**
 * How pgops reaches a cluster's Patroni REST API: one or more member URLs (any member answers for the
 * whole cluster), basic credentials from Secret Storage or the environment, and TLS like Patroni's
 * `restapi.cafile`/`certfile`/`keyfile` (PEM texts read by the caller).
 */
export interface PatroniEndpoint {
  urls: string[];
  auth?: { username: string; password: string };
  tls?: { ca?: string; cert?: string; key?: string };
  timeoutMs?: number;
}

export interface RestAnswer {
  url: string;
  status: number;
  body: string;
}

/** Answers larger than this are refused: Patroni's own pages are a few kB. */
const maxBody = 1024 * 1024;

/** Parses `--patroni URL[,URL]` (or a profile's list): http(s) URLs only, each named when wrong. */
export function parsePatroniUrls(text: string | string[], what = '--patroni'): string[] {
  const items = (Array.isArray(text) ? text : text.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/\/+$/, ''));
  if (items.length === 0)
    throw new PgOpsError(
      'patroni-url',
      `${what} names no URL`,
      'Give the REST URL of a member, e.g. http://10.0.0.1:8008.',
    );
  for (const u of items) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new PgOpsError(
        'patroni-url',
        `${what}: "${u}" is not a URL`,
        "Give http://HOST:PORT of a member's REST API (restapi.listen).",
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new PgOpsError(
        'patroni-url',
        `${what}: "${u}" is not http or https`,
        "Patroni's REST API speaks HTTP, or HTTPS with restapi.certfile.",
      );
    if (parsed.username || parsed.password)
      throw new PgOpsError(
        'patroni-url',
        `${what}: a URL carries credentials`,
        'Keep REST credentials out of URLs: store them with the profile (Secret Storage) or set PATRONI_RESTAPI_USERNAME/PASSWORD.',
      );
  }
  return items;
}

/** One HTTP exchange with a member's REST API; never follows redirects, never puts a body or credential in an error. */
export async function restRequest(
  endpoint: PatroniEndpoint,
  base: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<RestAnswer> {
  const url = new URL(path, `${base}/`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (endpoint.auth)
    headers.authorization = `Basic ${Buffer.from(`${endpoint.auth.username}:${endpoint.auth.password}`).toString('base64')}`;
  const lib = url.protocol === 'https:' ? https : http;
  const tlsOptions =
    url.protocol === 'https:' ? { ca: endpoint.tls?.ca, cert: endpoint.tls?.cert, key: endpoint.tls?.key } : {};
  if (signal?.aborted) throw new CancelledError();
  const where = `${url.origin}${url.pathname}`;
  return await new Promise<RestAnswer>((resolve, reject) => {
    const req = lib.request(url, { method, headers, timeout: endpoint.timeoutMs ?? 5000, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          req.destroy();
          reject(
            new PgOpsError(
              'patroni-http',
              `${where} answered more than ${maxBody} bytes`,
              'Check that the URL is a Patroni REST API.',
            ),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('end', () =>
        resolve({ url: where, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    const onAbort = (): void => {
      req.destroy();
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal?.removeEventListener('abort', onAbort));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PgOpsError(
          'patroni-unreachable',
          `Cannot reach Patroni at ${where}: ${err.code ?? err.message}`,
          'Check the URL (restapi.connect_address of a member), that Patroni runs there, and for https its CA (restapi.cafile).',
          { cause: err },
        ),
      ),
    );
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A REST answer that is not 2xx, as the error a user reads: 401/403 name the credentials, others Patroni's text. */
export function restFailure(a: RestAnswer, what: string): PgOpsError {
  const text = a.body.replace(/\s+/g, ' ').trim().slice(0, 300);
  if (a.status === 401 || a.status === 403)
    return new PgOpsError(
      'patroni-auth',
      `Patroni refused ${what} at ${a.url}: HTTP ${a.status} (${a.status === 401 ? 'no or wrong credentials' : 'forbidden'})`,
      'Store the REST API user and password of restapi.authentication with the profile (Set Patroni Credentials), ' +
        'or set PATRONI_RESTAPI_USERNAME and PATRONI_RESTAPI_PASSWORD for the CLI.',
    );
  return new PgOpsError(
    'patroni-refused',
    `Patroni answered ${what} at ${a.url} with HTTP ${a.status}${text ? `: ${text}` : ''}`,
    a.status === 404
      ? 'Check that the URL is a Patroni REST API (its port is restapi.listen, 8008 by default).'
      : "See Patroni's log on that member.",
  );
}

/** JSON of a 2xx answer; anything else is an error naming the URL. */
export function restJson(a: RestAnswer, what: string): unknown {
  if (a.status < 200 || a.status >= 300) throw restFailure(a, what);
  try {
    return JSON.parse(a.body) as unknown;
  } catch {
    throw new PgOpsError(
      'patroni-http',
      `${a.url} did not answer ${what} with JSON`,
      'Check that the URL is a Patroni REST API.',
    );
  }
}

/**
 * Asks the members in order until one answers (any HTTP status counts as an answer; only unreachable ones are
 * skipped). When none does, the error names every URL tried.
 */
export async function firstAnswer(
  endpoint: PatroniEndpoint,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<RestAnswer> {
  const failures: string[] = [];
  for (const base of endpoint.urls) {
    try {
      return await restRequest(endpoint, base, method, path, body, signal);
    } catch (err) {
      if (!PgOpsError.is(err, 'patroni-unreachable')) throw err;
      failures.push(err.message.replace(/^Cannot reach Patroni at /, ''));
    }
  }
  throw new PgOpsError(
    'patroni-unreachable',
    `No Patroni REST API answered: ${failures.join('; ')}`,
    "Check the URLs (each member's restapi.connect_address), that Patroni runs, and that this machine may reach them.",
  );
}

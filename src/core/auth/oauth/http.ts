import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { CancelledError, PgOpsError } from '../../errors';
import { inertText } from './untrusted';

/** How to reach the identity provider: extra trusted CA (PEM) and whether plain http is allowed. */
export interface HttpOptions {
  /** PEM of additional CA certificates trusted for the issuer's HTTPS (on top of Node's defaults). */
  ca?: string;
  /** Plain http:// endpoints allowed (only with PGOAUTHDEBUG=UNSAFE, like libpq). */
  allowHttp?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** HTTP Basic credentials, form-urlencoded first as RFC 6749 §2.3.1 requires. */
  basic?: { user: string; password: string };
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

/** Responses larger than this are refused (libpq uses 256 KiB as well). */
const maxBody = 256 * 1024;

/** Refuses anything but https unless the unsafe debug setting allows http; names the URL. */
export function checkEndpointScheme(url: string, what: string, allowHttp: boolean | undefined): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PgOpsError(
      'oauth-url',
      `The ${what} "${inertText(url)}" is not a valid URL`,
      'Check the issuer configuration of the identity provider.',
    );
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && allowHttp) return parsed;
  throw new PgOpsError(
    'oauth-https-required',
    `The ${what} "${inertText(url)}" does not use HTTPS`,
    'OAuth endpoints must use https://. For local testing only, set PGOAUTHDEBUG=UNSAFE to allow http://.',
  );
}

function formBody(form: Record<string, string>): string {
  return new URLSearchParams(form).toString();
}

/**
 * One HTTP exchange with the identity provider. Redirects are not followed (as in libpq), and
 * neither the request body nor the response body ever appear in an error: they carry secrets.
 */
export async function httpExchange(req: HttpRequest, opts: HttpOptions, what: string): Promise<HttpResponse> {
  const url = checkEndpointScheme(req.url, what, opts.allowHttp);
  const body = req.form ? formBody(req.form) : undefined;
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  if (req.basic) {
    const user = encodeURIComponent(req.basic.user);
    const pass = encodeURIComponent(req.basic.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const lib = url.protocol === 'https:' ? https : http;
  const ca = opts.ca ? [...tls.rootCertificates, opts.ca] : undefined;
  if (opts.signal?.aborted) throw new CancelledError();
  return await new Promise<HttpResponse>((resolve, reject) => {
    const request = lib.request(url, { method: req.method, headers, ca, timeout: opts.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          request.destroy();
          reject(
            new PgOpsError(
              'oauth-http',
              `The response of the ${what} ${url.origin}${url.pathname} is larger than ${maxBody} bytes`,
              'Check that the issuer URL points at an OAuth authorization server.',
            ),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    const onAbort = (): void => {
      request.destroy();
      reject(new CancelledError());
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        new PgOpsError(
          'oauth-unreachable',
          `Cannot reach the ${what} at ${url.origin}${url.pathname}: ${err.code ?? err.message}`,
          'Check that the identity provider (the issuer) is running and reachable from this machine, and that its TLS certificate is trusted.',
          { cause: err },
        ),
      );
    });
    request.end(body);
  });
}

/** Parses a JSON object body, insisting on application/json like libpq does. */
export function jsonObject(res: HttpResponse, what: string, url: string): Record<string, unknown> {
  const type = res.contentType.split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new PgOpsError(
      'oauth-http',
      `The ${what} at ${inertText(url)} answered with content type "${inertText(res.contentType, 100)}" instead of application/json`,
      'Check that the issuer URL points at an OAuth authorization server.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    throw new PgOpsError(
      'oauth-http',
      `The ${what} at ${inertText(url)} answered with malformed JSON`,
      'Check the identity provider.',
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PgOpsError(
      'oauth-http',
      `The ${what} at ${inertText(url)} did not answer with a JSON object`,
      'Check the identity provider.',
    );
  }
  return parsed as Record<string, unknown>;
}

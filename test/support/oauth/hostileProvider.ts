/**
 * An identity provider an attacker could run, scripted because no real provider sends such answers:
 * a well-formed discovery document and device flow whose user code, verification pages and error
 * description carry terminal escape sequences, notification link syntax and pages that are not
 * https. Its token endpoint says `authorization_pending` once, then denies. HTTPS, with a new
 * self-signed certificate for 127.0.0.1 (the caller trusts `certPem`) or the `tls` it is given.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tempDir } from '../servers';
import { selfSignedCert } from './idp';

/** What the provider sends the user: each one would repaint, retitle or link a terminal or a notification if shown raw. */
export const hostile = {
  userCode: 'WDJB\x1b[2J\x1b]0;owned\x07-MQHT',
  verificationUri: 'javascript:alert(document.cookie)//\x1b]8;;https://evil.example\x07',
  verificationUriComplete: 'command:workbench.action.terminal.new',
  errorDescription: 'denied\x1b[31m [open](command:workbench.action.terminal.new)\r\nPassword:',
};

export interface HostileProvider {
  issuer: string;
  certPem: string;
  /** How many device codes it handed out. */
  deviceRequests(): number;
  stop(): Promise<void>;
}

export interface HostileProviderOptions {
  /** Loopback address to listen on (default 127.0.0.1; the `tls` certificate must name it). */
  host?: string;
  tls?: { key: string; cert: string };
}

export async function startHostileProvider(opts: HostileProviderOptions = {}): Promise<HostileProvider> {
  const host = opts.host ?? '127.0.0.1';
  const dir = tempDir('hostile-idp');
  const { key, cert } = opts.tls ?? (await selfSignedCert(dir, host, 'hostile'));
  let issuer = '';
  let devices = 0;
  let polls = 0;
  const server = https.createServer({ key, cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const pathname = new URL(req.url ?? '/', issuer).pathname;
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (pathname === '/.well-known/openid-configuration') {
        reply(200, {
          issuer,
          token_endpoint: `${issuer}/token`,
          device_authorization_endpoint: `${issuer}/device`,
          grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code'],
        });
      } else if (pathname === '/device') {
        devices += 1;
        reply(200, {
          device_code: 'hostile-device-code',
          user_code: hostile.userCode,
          verification_uri: hostile.verificationUri,
          verification_uri_complete: hostile.verificationUriComplete,
          expires_in: 60,
          interval: 1,
        });
      } else if (pathname === '/token') {
        polls += 1;
        reply(
          400,
          polls % 2 === 1
            ? { error: 'authorization_pending' }
            : { error: 'access_denied', error_description: hostile.errorDescription },
        );
      } else {
        reply(404, { error: 'not_found' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  issuer = `https://${host}:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    certPem: cert,
    deviceRequests: () => devices,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

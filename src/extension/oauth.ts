import * as fs from 'node:fs';
import type { ClientConfig } from 'pg';
import * as vscode from 'vscode';
import type { OAuthBearerClient } from '../core/auth/oauth/bearerClient';
import type { OAuthConnectOptions, OAuthParams } from '../core/auth/oauth/connect';
import { connectWithOAuth, oauthHttpFromEnv } from '../core/auth/oauth/connect';
import type { DevicePrompt } from '../core/auth/oauth/deviceFlow';
import { devicePromptText } from '../core/auth/oauth/deviceFlow';
import { SecretStoreTokenCache } from '../core/auth/oauth/tokenCache';
import { inertText, verificationPage } from '../core/auth/oauth/untrusted';
import type { Logger } from '../core/log';

const copyAndOpen = 'Copy code and open';
const copyCode = 'Copy code';

/**
 * The notification a person acts on: the code, and a button that copies it and opens the page
 * (verification_uri_complete carries the code, so the page needs no typing). Only an https page is
 * opened (http with PGOAUTHDEBUG=UNSAFE); otherwise the notification says why and offers the copy alone.
 */
async function offerDeviceCode(profileName: string, p: DevicePrompt, allowHttp: boolean): Promise<void> {
  const page = verificationPage(p, allowHttp);
  const text = `${profileName}: sign in to PostgreSQL. ${devicePromptText(p)}`;
  const choice =
    'open' in page
      ? await vscode.window.showInformationMessage(text, copyAndOpen)
      : await vscode.window.showWarningMessage(`${text} — ${page.refused}`, copyCode);
  if (choice !== copyAndOpen && choice !== copyCode) return;
  await vscode.env.clipboard.writeText(p.userCode);
  if ('open' in page && choice === copyAndOpen) await vscode.env.openExternal(vscode.Uri.parse(page.open, true));
}

/**
 * Runs `work` with a device prompt that shows the code notification and a cancellable progress
 * while the flow polls; cancelling the progress (or `signal`) aborts the flow.
 */
async function withDevicePrompt<T>(
  profileName: string,
  allowHttp: boolean,
  signal: AbortSignal | undefined,
  work: (onPrompt: (p: DevicePrompt) => void, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  const forward = (): void => ctl.abort();
  signal?.addEventListener('abort', forward, { once: true });
  let stopWaiting: (() => void) | undefined;
  const onPrompt = (p: DevicePrompt): void => {
    const waiting = new Promise<void>((resolve) => {
      stopWaiting = resolve;
    });
    void vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `${profileName}: waiting for OAuth sign-in`,
        cancellable: true,
      },
      (progress, token) => {
        progress.report({ message: `enter code ${inertText(p.userCode, 100)} at ${inertText(p.verificationUri)}` });
        token.onCancellationRequested(() => ctl.abort());
        return waiting;
      },
    );
    void offerDeviceCode(profileName, p, allowHttp);
  };
  try {
    return await work(onPrompt, ctl.signal);
  } finally {
    stopWaiting?.();
    signal?.removeEventListener('abort', forward);
  }
}

/**
 * What the session manager calls for a profile whose server authenticates with OAuth (a profile
 * with oauth_issuer / oauth_client_id). `config` is the pg client configuration it would use
 * anyway (host, port, user, database, ssl, application_name, options); `params` the profile's
 * oauth_* keywords with oauth_client_secret read from SecretStorage by the caller.
 */
export interface OAuthConnector {
  /** A connected client: a discovery round naming the issuer, then the token cached for this server, else the device flow. */
  connect(
    profileName: string,
    config: ClientConfig,
    params: OAuthParams,
    signal?: AbortSignal,
  ): Promise<OAuthBearerClient>;
  /** Forgets the stored tokens of these parameters for these servers (oauthTokenServers), and old-style entries (sign out). */
  forget(params: OAuthParams, servers: string[]): Promise<void>;
}

/**
 * Access and refresh tokens live only in SecretStorage (`context.secrets`), never in settings or
 * logs, one entry per server, issuer, client and scope. Entries an older pgops kept per issuer,
 * client and scope alone are never read (they are re-created per server); forget deletes them.
 */
export function createOAuthConnector(secrets: vscode.SecretStorage, logger: Logger): OAuthConnector {
  const cache = new SecretStoreTokenCache(secrets);
  const env = (): ReturnType<typeof oauthHttpFromEnv> =>
    oauthHttpFromEnv(process.env, (f) => fs.readFileSync(f, 'utf8'));
  const options = (
    params: OAuthParams,
    onPrompt: (p: DevicePrompt) => void,
    signal: AbortSignal,
  ): OAuthConnectOptions => ({
    params,
    cache,
    onPrompt,
    logger,
    signal,
    ...env(),
  });
  return {
    connect: (profileName, config, params, signal) =>
      withDevicePrompt(profileName, !!env().allowHttp, signal, (onPrompt, s) =>
        connectWithOAuth(config, options(params, onPrompt, s)),
      ),
    forget: (params, servers) =>
      cache.forget({ issuer: params.issuer, clientId: params.clientId, scope: params.scope }, servers),
  };
}

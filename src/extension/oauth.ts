import * as fs from 'node:fs';
import type { ClientConfig } from 'pg';
import * as vscode from 'vscode';
import type { OAuthBearerClient } from '../core/auth/oauth/bearerClient';
import type { OAuthConnectOptions, OAuthParams } from '../core/auth/oauth/connect';
import { bearerTokenFor, connectWithOAuth, oauthHttpFromEnv } from '../core/auth/oauth/connect';
import type { DevicePrompt } from '../core/auth/oauth/deviceFlow';
import { devicePromptText } from '../core/auth/oauth/deviceFlow';
import { SecretStoreTokenCache } from '../core/auth/oauth/tokenCache';
import type { Logger } from '../core/log';

const copyAndOpen = 'Copy code and open';

/** The notification a person acts on: the code, and a button that copies it and opens the page. */
async function offerDeviceCode(profileName: string, p: DevicePrompt): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`${profileName}: sign in to PostgreSQL. ${devicePromptText(p)}`, copyAndOpen);
  if (choice !== copyAndOpen) return;
  await vscode.env.clipboard.writeText(p.userCode);
  // verification_uri_complete carries the code, so the page needs no typing when the provider offers it.
  await vscode.env.openExternal(vscode.Uri.parse(p.verificationUriComplete ?? p.verificationUri, true));
}

/**
 * Runs `work` with a device prompt that shows the code notification and a cancellable progress
 * while the flow polls; cancelling the progress (or `signal`) aborts the flow.
 */
async function withDevicePrompt<T>(profileName: string, signal: AbortSignal | undefined, work: (onPrompt: (p: DevicePrompt) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const forward = (): void => ctl.abort();
  signal?.addEventListener('abort', forward, { once: true });
  let stopWaiting: (() => void) | undefined;
  const onPrompt = (p: DevicePrompt): void => {
    const waiting = new Promise<void>((resolve) => { stopWaiting = resolve; });
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${profileName}: waiting for OAuth sign-in`, cancellable: true },
      (progress, token) => {
        progress.report({ message: `enter code ${p.userCode} at ${p.verificationUri}` });
        token.onCancellationRequested(() => ctl.abort());
        return waiting;
      },
    );
    void offerDeviceCode(profileName, p);
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
  /** A connected client: cached or refreshed token first, else discovery + device flow + second connection. */
  connect(profileName: string, config: ClientConfig, params: OAuthParams, signal?: AbortSignal): Promise<OAuthBearerClient>;
  /** Just a token (for a pool with `Client: OAuthBearerClient`); undefined when the server does not ask for OAuth. */
  token(profileName: string, config: ClientConfig, params: OAuthParams, signal?: AbortSignal): Promise<string | undefined>;
  /** Forgets the stored tokens of these parameters (sign out). */
  forget(params: OAuthParams): Promise<void>;
}

/** Access and refresh tokens live only in SecretStorage (`context.secrets`), never in settings or logs. */
export function createOAuthConnector(secrets: vscode.SecretStorage, logger: Logger): OAuthConnector {
  const cache = new SecretStoreTokenCache(secrets);
  const options = (params: OAuthParams, onPrompt: (p: DevicePrompt) => void, signal: AbortSignal): OAuthConnectOptions => ({
    params, cache, onPrompt, logger, signal, ...oauthHttpFromEnv(process.env, (f) => fs.readFileSync(f, 'utf8')),
  });
  return {
    connect: (profileName, config, params, signal) =>
      withDevicePrompt(profileName, signal, (onPrompt, s) => connectWithOAuth(config, options(params, onPrompt, s))),
    token: (profileName, config, params, signal) =>
      withDevicePrompt(profileName, signal, (onPrompt, s) => bearerTokenFor(config, options(params, onPrompt, s))),
    forget: (params) => cache.delete({ issuer: params.issuer, clientId: params.clientId, scope: params.scope }),
  };
}

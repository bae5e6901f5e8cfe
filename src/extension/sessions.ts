import * as vscode from 'vscode';
import type { Client } from 'pg';
import type { HbaRulesAtHand } from '../core/conn/hbaAdvice';
import type { ProfileAuthPlan } from '../core/conn/authPlanFor';
import { authPlanFor, readServerSideFacts } from '../core/conn/authPlanFor';
import { hbaRulesFromFile } from '../core/conn/hbaAdvice';
import type { CredentialSource, SessionInfo } from '../core/conn/connect';
import type { SessionHost, SessionState } from '../core/conn/connectionSession';
import { ConnectionSession } from '../core/conn/connectionSession';
import type { OAuthOpener } from '../core/conn/oauthSession';
import { oauthTokenServers } from '../core/conn/oauthSession';
import type { OpenedSession, OpenSessionOptions } from '../core/conn/open';
import { openSession } from '../core/conn/open';
import type { OAuthParams } from '../core/auth/oauth/connect';
import { oauthParamsFromKeywords } from '../core/auth/oauth/connect';
import { runCancellable } from '../core/conn/cancel';
import { CommandCredential } from '../core/conn/credentialCommand';
import type { SessionPool } from '../core/conn/pool';
import type { ConnectionProfile } from '../core/conn/profile';
import { resolveProfile } from '../core/conn/profile';
import type { ProfileSecrets } from '../core/conn/profileSecrets';
import type { ConnectionTarget, SessionSafety } from '../core/conn/session';
import { readServerHbaRules } from '../core/auth/hba';
import { checkProgramCanSignIn } from '../core/bench/findPgbench';
import { describeError, PgOpsError } from '../core/errors';
import type { Logger } from '../core/log';
import { Disposable } from './disposable';
import type { OAuthConnector } from './oauth';
import { sessionSafety } from './settings';

export type { SessionState } from '../core/conn/connectionSession';

/** Server version text plus what SessionInfo says: for Test Connection. */
export interface TestResult extends SessionInfo {
  serverVersion: string;
  currentUser: string;
}

/** What disconnecting a profile ended: its ConnectionSession's report. */
export interface SessionDisposal {
  profileId: string;
  profileName: string;
  disposed: string[];
}

/**
 * The connected profiles, one ConnectionSession each (client, pool, learned rules, samplers,
 * histories, panels), and the "active" profile the diagnostic views show. Disconnecting a profile,
 * removing it or deactivating disposes its session in one place.
 */
export class SessionManager extends Disposable {
  private readonly sessions = new Map<string, ConnectionSession>();
  private readonly changed = this.register(new vscode.EventEmitter<string>());
  readonly onDidChange = this.changed.event;
  private readonly disposedSession = this.register(new vscode.EventEmitter<SessionDisposal>());
  /** Fires after a profile's session was disposed, with what it ended. */
  readonly onDidDisposeSession = this.disposedSession.event;
  activeProfileId: string | undefined;
  /** How each ConnectionSession opens its sessions and reports its state. */
  private readonly host: SessionHost;

  constructor(
    private readonly logger: Logger,
    readonly secrets: ProfileSecrets,
    private readonly oauth?: OAuthConnector,
  ) {
    super();
    this.host = {
      open: (session, interactive) => this.open(session, interactive),
      changed: (session) => {
        if (this.sessions.get(session.profile.id) === session) this.changed.fire(session.profile.id);
      },
      logger,
    };
  }

  state(profileId: string): SessionState {
    return this.sessions.get(profileId)?.state ?? { kind: 'disconnected' };
  }

  /** The profile's session object, while it has one (connecting, connected or failed). */
  session(profileId: string): ConnectionSession | undefined {
    return this.sessions.get(profileId);
  }

  async connect(profile: ConnectionProfile): Promise<Client> {
    const session = this.sessionFor(profile);
    const wasConnected = session.state.kind === 'connected';
    const client = await session.connect();
    if (session.isDisposed) throw new PgOpsError('conn-cancelled', `${profile.name}: disconnected`, 'Connect again.');
    this.activeProfileId = profile.id;
    const info = session.state.kind === 'connected' ? session.state.info : undefined;
    if (info && !wasConnected) {
      const tls = info.tls.inUse ? `TLS ${info.tls.protocol ?? ''} verify=${info.tls.verified}` : 'no TLS';
      this.logger.info(
        `${profile.name}: connected to ${info.description} (server ${info.serverVersionNum}, auth ${info.authMethod}, ${tls})`,
      );
      void this.learnHbaRules(session, client);
    }
    return client;
  }

  /** Opens a separate session, reports what it is, and closes it: Test Connection. The signal stops it at any point. */
  async test(profile: ConnectionProfile, signal?: AbortSignal): Promise<TestResult> {
    // the profile as given now: a connected (or failed) session may hold the one it was opened with, since edited
    const session = this.sessions.get(profile.id) ?? new ConnectionSession(profile, this.host);
    const c = await this.open(session, true, signal, profile);
    try {
      const r = await runCancellable(c.client, signal, () =>
        c.client.query<{ v: string; u: string }>("SELECT current_setting('server_version') AS v, current_user AS u"),
      );
      return { ...c.info, serverVersion: r.rows[0].v, currentUser: r.rows[0].u };
    } finally {
      await c.client.end().catch(() => undefined);
    }
  }

  /** The endpoint pgbench should use (the host target_session_attrs picks), with its password; refused for OAuth. */
  async target(profile: ConnectionProfile): Promise<ConnectionTarget> {
    return (await this.benchEndpoint(profile)).target;
  }

  /** target(), plus how bench opens its own sessions there: through the same opener, credential and classifier. */
  benchEndpoint(profile: ConnectionProfile): Promise<Pick<OpenedSession, 'target' | 'reopen'>> {
    return this.endpoint(profile, 'pgbench');
  }

  /**
   * The endpoint and opener of a maintenance fix: its own writable session and its monitor, and for pg_repack (a
   * libpq program) the target with its password; such a program cannot sign in with an OAuth token.
   */
  async endpoint(
    profile: ConnectionProfile,
    program: 'pgbench' | 'pg_repack' | undefined,
  ): Promise<Pick<OpenedSession, 'target' | 'reopen'>> {
    const c = await this.open(this.sessionFor(profile), true);
    await c.client.end().catch(() => undefined);
    if (program) checkProgramCanSignIn(program, c.info.authMethod, `${profile.name} (${c.info.description})`);
    return { target: c.target, reopen: c.reopen };
  }

  /**
   * A new session the way an application opens one, resolving the profile's hosts again on every call (a failover
   * drill's probe writer): target_session_attrs=read-write, the profile's connect_timeout or 2 s, the given safety,
   * the profile's credential. Never interactive: a drill cannot stop to ask for a password.
   */
  async applicationSession(profile: ConnectionProfile, safety: SessionSafety): Promise<OpenedSession> {
    const session = this.sessionFor(profile);
    const r = resolveProfile(profile);
    return openSession(
      { ...r, targetSessionAttrs: 'read-write', connectTimeoutMs: r.connectTimeoutMs ?? 2000 },
      {
        safety,
        logger: this.logger,
        hbaRules: () => Promise.resolve(this.hbaRulesFor(session)),
        oauth: this.oauth ? (params) => this.oauthOpener(profile, params) : undefined,
        credential: this.credential(session, profile),
      },
    );
  }

  /** A pool of up to two diagnostic sessions for this profile; reconnects by itself after a restart. */
  pool(profile: ConnectionProfile): SessionPool {
    return this.sessionFor(profile).pool();
  }

  /** Disposes the profile's session (client, pool, samplers, panels, learned rules) and says what it ended. */
  async disconnect(profileId: string): Promise<string[]> {
    const session = this.sessions.get(profileId);
    this.sessions.delete(profileId);
    if (this.activeProfileId === profileId) this.activeProfileId = undefined;
    if (!session) return [];
    const disposed = await session.dispose();
    const name = session.profile.name;
    this.logger.info(`${name}: disconnected; disposed ${disposed.length ? disposed.join(', ') : 'nothing'}`);
    this.changed.fire(profileId);
    this.disposedSession.fire({ profileId, profileName: name, disposed });
    return disposed;
  }

  async disconnectAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.disconnect(id)));
  }

  /** Sign out of a profile's OAuth provider: its cached tokens (for its servers, and old-style entries) are deleted from Secret Storage. */
  async forgetOAuthTokens(profile: ConnectionProfile): Promise<void> {
    const r = resolveProfile(profile);
    const params = oauthParamsFromKeywords(r.params);
    if (params && this.oauth) await this.oauth.forget(params, oauthTokenServers(r));
    await this.disconnect(profile.id);
  }

  private sessionFor(profile: ConnectionProfile): ConnectionSession {
    let session = this.sessions.get(profile.id);
    if (!session) {
      session = new ConnectionSession(profile, this.host);
      this.sessions.set(profile.id, session);
    } else {
      session.profile = profile;
    }
    return session;
  }

  private credential(session: ConnectionSession, profile: ConnectionProfile): CredentialSource {
    if (!profile.passwordCommand) return this.secrets.credential(profile);
    const madeFor = JSON.stringify([profile.passwordCommand, profile.passwordCommandTtl, this.secrets.where(profile)]);
    if (session.passwordCommand?.madeFor !== madeFor) {
      const credential = new CommandCredential({
        argv: profile.passwordCommand,
        ttlSeconds: profile.passwordCommandTtl,
      });
      session.passwordCommand = { madeFor, credential };
    }
    return session.passwordCommand.credential;
  }

  /** Connects through core's openSession; when the server wants a password nobody supplied, asks once. */
  private async open(
    session: ConnectionSession,
    interactive: boolean,
    signal?: AbortSignal,
    profile: ConnectionProfile = session.profile,
  ): Promise<OpenedSession> {
    const r = resolveProfile(profile);
    const base: OpenSessionOptions = {
      safety: sessionSafety(),
      logger: this.logger,
      signal,
      hbaRules: () => Promise.resolve(this.hbaRulesFor(session)),
      oauth: this.oauth ? (params) => this.oauthOpener(profile, params) : undefined,
    };
    try {
      return await openSession(r, { ...base, credential: this.credential(session, profile) });
    } catch (err) {
      if (!interactive || !PgOpsError.is(err, 'conn-no-password') || profile.passwordCommand) throw err;
      const password = await vscode.window.showInputBox({
        title: `Password for ${profile.name}`,
        prompt: `The server asks ${r.user} for a password (nothing in Secret Storage, PGPASSWORD or ${r.passfile}).`,
        password: true,
        ignoreFocusOut: true,
      });
      if (password === undefined) throw err;
      const c = await openSession(resolveProfile(profile), {
        ...base,
        credential: { label: 'the password you typed', get: () => Promise.resolve(password) },
      });
      void this.offerToSave(profile, password);
      return c;
    }
  }

  /** The device flow of the OAuth connector; a confidential client's secret lives in Secret Storage (settings refuse it). */
  private async oauthOpener(profile: ConnectionProfile, keywords: OAuthParams): Promise<OAuthOpener> {
    const params = {
      ...keywords,
      clientSecret: keywords.clientSecret ?? (await this.secrets.get(profile, 'oauthClientSecret')),
    };
    return (config) => this.oauth!.connect(profile.name, config, params);
  }

  /** pg_hba rules to explain a refusal: those read from the server while connected, else the profile's local copy. */
  private hbaRulesFor(session: ConnectionSession): HbaRulesAtHand | undefined {
    const profile = session.profile;
    if (session.hbaRules || !profile.hbaFile) return session.hbaRules;
    try {
      return hbaRulesFromFile(profile.hbaFile);
    } catch (err) {
      this.logger.warn(`${profile.name}: ${describeError(err)}`);
      return undefined;
    }
  }

  private async offerToSave(profile: ConnectionProfile, password: string): Promise<void> {
    const save = 'Save in Secret Storage';
    if (
      (await vscode.window.showInformationMessage(
        `Connected to ${profile.name}. Keep the password for next time?`,
        save,
        'Not now',
      )) === save
    ) {
      await this.secrets.set(profile, password);
      this.logger.info(`${profile.name}: password saved in Secret Storage`);
    }
  }

  /**
   * pg_hba rules (and pg_ident mappings) read while connected, so a later authentication failure can
   * name its line, and the session's own plan: the line the server used for it and how pgops met it.
   */
  private async learnHbaRules(session: ConnectionSession, client: Client): Promise<void> {
    const name = session.profile.name;
    try {
      session.serverFacts = await readServerSideFacts(client);
    } catch (err) {
      this.logger.debug(`${name}: could not ask how the server sees this session (${describeError(err)})`);
    }
    try {
      const rules = await readServerHbaRules(client, name);
      session.hbaRules = {
        rules: rules.rules,
        description: rules.source.description,
        ident: 'rules' in rules.ident ? rules.ident.rules : undefined,
      };
    } catch (err) {
      this.logger.debug(
        `${name}: pg_hba rules not readable (${describeError(err)}); failures will be explained without them`,
      );
    }
    const plan = await this.authPlan(session.profile);
    if (plan && !session.isDisposed && session.state.kind === 'connected') {
      session.authPlan = plan;
      this.changed.fire(session.profile.id);
    }
  }

  /**
   * The pg_hba line the server uses for this profile and how pgops answers its method, from the rules
   * at hand (learned from the server, else the profile's hbaFile); exact for a connected profile.
   * Undefined when no rules are known.
   */
  async authPlan(profile: ConnectionProfile): Promise<ProfileAuthPlan | undefined> {
    const session = this.sessions.get(profile.id) ?? new ConnectionSession(profile, this.host);
    const rules = this.hbaRulesFor(session);
    if (!rules) return undefined;
    const credentialLabel = profile.passwordCommand
      ? 'the password command'
      : (await this.secrets.has(profile))
        ? 'Secret Storage'
        : undefined;
    const facts = session.state.kind === 'connected' ? session.serverFacts : undefined;
    return authPlanFor(resolveProfile(profile), rules, { credentialLabel, facts });
  }

  /** The plan of a connected session, once learned (for the Connections view). */
  knownAuthPlan(profileId: string): ProfileAuthPlan | undefined {
    const session = this.sessions.get(profileId);
    return session?.state.kind === 'connected' ? session.authPlan : undefined;
  }

  override dispose(): void {
    void this.disconnectAll();
    super.dispose();
  }
}

import * as vscode from 'vscode';
import type { Client } from 'pg';
import type { HbaRulesAtHand } from '../core/conn/hbaAdvice';
import type { ProfileAuthPlan, ServerSideFacts } from '../core/conn/authPlanFor';
import { authPlanFor, readServerSideFacts } from '../core/conn/authPlanFor';
import { hbaAdvisor, hbaRulesFromFile } from '../core/conn/hbaAdvice';
import type { Connected, ConnectOptions, CredentialSource, SessionInfo } from '../core/conn/connect';
import { connectResolved } from '../core/conn/connect';
import { connectResolvedOAuth, oauthTokenServers } from '../core/conn/oauthSession';
import type { OAuthParams } from '../core/auth/oauth/connect';
import { oauthParamsFromKeywords } from '../core/auth/oauth/connect';
import { runCancellable } from '../core/conn/cancel';
import { CommandCredential } from '../core/conn/credentialCommand';
import { SessionPool } from '../core/conn/pool';
import type { ConnectionProfile } from '../core/conn/profile';
import type { ProfileSecrets } from '../core/conn/profileSecrets';
import { profileParams } from '../core/conn/profile';
import type { ResolvedConnection } from '../core/conn/resolve';
import { defaultResolveContext, resolveConnection } from '../core/conn/resolve';
import type { ConnectionTarget } from '../core/conn/session';
import { readServerHbaRules } from '../core/auth/hba';
import { checkPgbenchCanSignIn } from '../core/bench/findPgbench';
import { describeError, PgOpsError } from '../core/errors';
import type { Logger } from '../core/log';
import { Disposable } from './disposable';
import type { OAuthConnector } from './oauth';
import { sessionSafety } from './settings';

export type SessionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected'; serverVersionNum: number; client: Client; info: SessionInfo }
  | { kind: 'failed'; error: string };

/** Server version text plus what SessionInfo says: for Test Connection. */
export interface TestResult extends SessionInfo {
  serverVersion: string;
  currentUser: string;
}

const reconnectDelaysMs = [1000, 2000, 4000, 8000, 16000];

/**
 * One diagnostic session per connected profile (what the views query), a small pool per profile
 * for other work, and the "active" profile the diagnostic views show. A session the server drops
 * (restart, failover) is reopened in the background with backoff.
 */
export class SessionManager extends Disposable {
  private readonly states = new Map<string, SessionState>();
  private readonly pools = new Map<string, SessionPool>();
  /** Password commands by profile id, with what they were made for (command and target): settings can give another profile this id. */
  private readonly commands = new Map<string, { madeFor: string; credential: CommandCredential }>();
  private readonly hbaRules = new Map<string, HbaRulesAtHand>();
  /** How the server sees each connected session (address, TLS, memberships), for exact auth plans. */
  private readonly serverFacts = new Map<string, ServerSideFacts>();
  private readonly plans = new Map<string, ProfileAuthPlan>();
  private readonly generation = new Map<string, number>();
  private readonly changed = this.register(new vscode.EventEmitter<string>());
  readonly onDidChange = this.changed.event;
  activeProfileId: string | undefined;

  constructor(
    private readonly logger: Logger,
    readonly secrets: ProfileSecrets,
    private readonly oauth?: OAuthConnector,
  ) {
    super();
  }

  state(profileId: string): SessionState {
    return this.states.get(profileId) ?? { kind: 'disconnected' };
  }

  async connect(profile: ConnectionProfile): Promise<Client> {
    const existing = this.state(profile.id);
    if (existing.kind === 'connected') {
      this.activeProfileId = profile.id;
      return existing.client;
    }
    const gen = this.bump(profile.id);
    this.set(profile.id, { kind: 'connecting' });
    try {
      const c = await this.open(profile, true);
      if (this.generation.get(profile.id) !== gen) {
        await c.client.end().catch(() => undefined);
        throw new PgOpsError('conn-cancelled', `${profile.name}: disconnected while connecting`, 'Connect again.');
      }
      this.adopt(profile, c, gen);
      this.activeProfileId = profile.id;
      this.logger.info(
        `${profile.name}: connected to ${c.info.description} (server ${c.info.serverVersionNum}, auth ${c.info.authMethod}, ${c.info.tls.inUse ? `TLS ${c.info.tls.protocol ?? ''} verify=${c.info.tls.verified}` : 'no TLS'})`,
      );
      void this.learnHbaRules(profile, c.client);
      return c.client;
    } catch (err) {
      if (this.generation.get(profile.id) === gen)
        this.set(profile.id, { kind: 'failed', error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** Opens a separate session, reports what it is, and closes it: Test Connection. The signal stops it at any point. */
  async test(profile: ConnectionProfile, signal?: AbortSignal): Promise<TestResult> {
    const c = await this.open(profile, true, signal);
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
    const c = await this.open(profile, true);
    await c.client.end().catch(() => undefined);
    checkPgbenchCanSignIn(c.info.authMethod, `${profile.name} (${c.info.description})`);
    return c.target;
  }

  /** A pool of up to two diagnostic sessions for this profile; reconnects by itself after a restart. */
  pool(profile: ConnectionProfile): SessionPool {
    let p = this.pools.get(profile.id);
    if (!p) {
      p = new SessionPool(() => this.open(profile, false), 2, this.logger, profile.name);
      this.pools.set(profile.id, p);
    }
    return p;
  }

  async disconnect(profileId: string): Promise<void> {
    this.bump(profileId);
    const s = this.state(profileId);
    this.set(profileId, { kind: 'disconnected' });
    if (s.kind === 'connected') await s.client.end().catch(() => undefined);
    await this.pools.get(profileId)?.close();
    this.pools.delete(profileId);
    if (this.activeProfileId === profileId) this.activeProfileId = undefined;
  }

  async disconnectAll(): Promise<void> {
    await Promise.all([...new Set([...this.states.keys(), ...this.pools.keys()])].map((id) => this.disconnect(id)));
  }

  /** Sign out of a profile's OAuth provider: its cached tokens (for its servers, and old-style entries) are deleted from Secret Storage. */
  async forgetOAuthTokens(profile: ConnectionProfile): Promise<void> {
    const r = this.resolve(profile);
    const params = oauthParamsFromKeywords(r.params);
    if (params && this.oauth) await this.oauth.forget(params, oauthTokenServers(r));
    await this.disconnect(profile.id);
  }

  /** Forget cached credentials and rules of a profile (edited, removed). */
  forget(profileId: string): void {
    this.commands.delete(profileId);
    this.hbaRules.delete(profileId);
    this.serverFacts.delete(profileId);
    this.plans.delete(profileId);
  }

  private resolve(profile: ConnectionProfile): ResolvedConnection {
    return resolveConnection(profileParams(profile), defaultResolveContext(process.env));
  }

  private credential(profile: ConnectionProfile): CredentialSource {
    if (profile.passwordCommand) {
      const madeFor = JSON.stringify([
        profile.passwordCommand,
        profile.passwordCommandTtl,
        this.secrets.where(profile),
      ]);
      let cached = this.commands.get(profile.id);
      if (cached?.madeFor !== madeFor) {
        cached = {
          madeFor,
          credential: new CommandCredential({ argv: profile.passwordCommand, ttlSeconds: profile.passwordCommandTtl }),
        };
        this.commands.set(profile.id, cached);
      }
      return cached.credential;
    }
    return this.secrets.credential(profile);
  }

  /** Connects; when the server wants a password nobody supplied, asks once (and offers to keep it). */
  private async open(profile: ConnectionProfile, interactive: boolean, signal?: AbortSignal): Promise<Connected> {
    const r = this.resolve(profile);
    const explainAuthFailure = hbaAdvisor(() => this.hbaRulesFor(profile), r.user, r.dbname);
    const oauthParams = oauthParamsFromKeywords(r.params);
    if (oauthParams && this.oauth) return this.openOAuth(profile, r, oauthParams, explainAuthFailure);
    const base = { safety: sessionSafety(), logger: this.logger, explainAuthFailure, signal };
    try {
      return await connectResolved(r, { ...base, credential: this.credential(profile) });
    } catch (err) {
      if (!interactive || !PgOpsError.is(err, 'conn-no-password') || profile.passwordCommand) throw err;
      const password = await vscode.window.showInputBox({
        title: `Password for ${profile.name}`,
        prompt: `The server asks ${r.user} for a password (nothing in Secret Storage, PGPASSWORD or ${r.passfile}).`,
        password: true,
        ignoreFocusOut: true,
      });
      if (password === undefined) throw err;
      const c = await connectResolved(this.resolve(profile), {
        ...base,
        credential: { label: 'the password you typed', get: async () => password },
      });
      void this.offerToSave(profile, password);
      return c;
    }
  }

  /**
   * Servers that authenticate with OAuth (oauth_issuer / oauth_client_id in the profile): the
   * connector runs the device flow and keeps tokens in SecretStorage; the first host is tried in
   * sslmode's order, like the CLI does.
   */
  private async openOAuth(
    profile: ConnectionProfile,
    r: ResolvedConnection,
    keywords: OAuthParams,
    explainAuthFailure: ConnectOptions['explainAuthFailure'],
  ): Promise<Connected> {
    // A confidential client's secret lives in Secret Storage (settings refuse it).
    const params = {
      ...keywords,
      clientSecret: keywords.clientSecret ?? (await this.secrets.get(profile, 'oauthClientSecret')),
    };
    return await connectResolvedOAuth(r, (config) => this.oauth!.connect(profile.name, config, params), {
      safety: sessionSafety(),
      explainAuthFailure,
    });
  }

  /** pg_hba rules to explain a refusal: those read from the server while connected, else the profile's local copy. */
  private async hbaRulesFor(profile: ConnectionProfile): Promise<HbaRulesAtHand | undefined> {
    const learned = this.hbaRules.get(profile.id);
    if (learned || !profile.hbaFile) return learned;
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

  private adopt(profile: ConnectionProfile, c: Connected, gen: number): void {
    this.set(profile.id, {
      kind: 'connected',
      serverVersionNum: c.info.serverVersionNum,
      client: c.client,
      info: c.info,
    });
    c.client.on('error', (err) => {
      if (this.generation.get(profile.id) !== gen) return;
      this.logger.warn(`${profile.name}: session lost: ${err.message}`);
      this.set(profile.id, { kind: 'failed', error: `connection lost: ${err.message}` });
      void this.reconnect(profile, gen);
    });
  }

  private async reconnect(profile: ConnectionProfile, gen: number): Promise<void> {
    for (const wait of reconnectDelaysMs) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.generation.get(profile.id) !== gen) return;
      try {
        const c = await this.open(profile, false);
        if (this.generation.get(profile.id) !== gen) {
          await c.client.end().catch(() => undefined);
          return;
        }
        this.adopt(profile, c, gen);
        this.logger.info(`${profile.name}: reconnected to ${c.info.description}`);
        return;
      } catch (err) {
        this.logger.debug(`${profile.name}: reconnect failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.logger.warn(`${profile.name}: gave up reconnecting; use Connect to try again`);
  }

  /**
   * pg_hba rules (and pg_ident mappings) read while connected, so a later authentication failure can
   * name its line, and the session's own plan: the line the server used for it and how pgops met it.
   */
  private async learnHbaRules(profile: ConnectionProfile, client: Client): Promise<void> {
    try {
      this.serverFacts.set(profile.id, await readServerSideFacts(client));
    } catch (err) {
      this.logger.debug(`${profile.name}: could not ask how the server sees this session (${describeError(err)})`);
    }
    try {
      const rules = await readServerHbaRules(client, profile.name);
      this.hbaRules.set(profile.id, {
        rules: rules.rules,
        description: rules.source.description,
        ident: 'rules' in rules.ident ? rules.ident.rules : undefined,
      });
    } catch (err) {
      this.logger.debug(
        `${profile.name}: pg_hba rules not readable (${describeError(err)}); failures will be explained without them`,
      );
    }
    const plan = await this.authPlan(profile);
    if (plan && this.state(profile.id).kind === 'connected') {
      this.plans.set(profile.id, plan);
      this.changed.fire(profile.id);
    }
  }

  /**
   * The pg_hba line the server uses for this profile and how pgops answers its method, from the rules
   * at hand (learned from the server, else the profile's hbaFile); exact for a connected profile.
   * Undefined when no rules are known.
   */
  async authPlan(profile: ConnectionProfile): Promise<ProfileAuthPlan | undefined> {
    const rules = await this.hbaRulesFor(profile);
    if (!rules) return undefined;
    const credentialLabel = profile.passwordCommand
      ? 'the password command'
      : (await this.secrets.has(profile))
        ? 'Secret Storage'
        : undefined;
    const facts = this.state(profile.id).kind === 'connected' ? this.serverFacts.get(profile.id) : undefined;
    return authPlanFor(this.resolve(profile), rules, { credentialLabel, facts });
  }

  /** The plan of a connected session, once learned (for the Connections view). */
  knownAuthPlan(profileId: string): ProfileAuthPlan | undefined {
    return this.state(profileId).kind === 'connected' ? this.plans.get(profileId) : undefined;
  }

  private bump(id: string): number {
    const next = (this.generation.get(id) ?? 0) + 1;
    this.generation.set(id, next);
    return next;
  }

  private set(id: string, s: SessionState): void {
    this.states.set(id, s);
    this.changed.fire(id);
  }

  override dispose(): void {
    void this.disconnectAll();
    super.dispose();
  }
}

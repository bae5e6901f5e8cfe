import type { Client } from 'pg';
import type { ProfileAuthPlan, ServerSideFacts } from './authPlanFor';
import type { SessionInfo } from './connect';
import type { CommandCredential } from './credentialCommand';
import type { HbaRulesAtHand } from './hbaAdvice';
import type { OpenedSession } from './open';
import { SessionPool } from './pool';
import type { ConnectionProfile } from './profile';
import { StatementHistory } from '../diag/statementDeltas';
import { WaitHistory } from '../ops/waitHistory';
import { PgOpsError } from '../errors';
import type { Logger } from '../log';

export type SessionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected'; serverVersionNum: number; client: Client; info: SessionInfo }
  | { kind: 'failed'; error: string };

/** What a ConnectionSession needs from its manager: how to open a session for it, and where to say it changed. */
export interface SessionHost {
  open(session: ConnectionSession, interactive: boolean): Promise<OpenedSession>;
  changed(session: ConnectionSession): void;
  logger: Logger;
}

/** A resource a session owns until it is disposed, or until the owner lets it go first (a panel closed by the user). */
export interface OwnedResource {
  dispose(): Promise<void>;
}

const reconnectDelaysMs = [1000, 2000, 4000, 8000, 16000];

/**
 * Everything one connected profile has, in one object: its diagnostic client and pool, the pg_hba rules
 * and server facts learned from it, its auth plan, its password command, its statement snapshots, and
 * what views and panels attached to it (a wait sampler, a detail panel). A session the server drops is
 * reopened in the background with backoff. `dispose()` ends all of it and says what it ended.
 */
export class ConnectionSession {
  private current: SessionState = { kind: 'disconnected' };
  private connecting?: Promise<Client>;
  private sessionPool?: SessionPool;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly owned: Array<{ name: string; dispose: () => Promise<void> | void }> = [];
  private disposed = false;
  /** pg_hba rules (and pg_ident mappings) read while connected: a later refusal names its line. */
  hbaRules?: HbaRulesAtHand;
  /** How the server sees this session (address, TLS, memberships), for an exact auth plan. */
  serverFacts?: ServerSideFacts;
  /** The pg_hba line the server used for this session and how pgops met it. */
  authPlan?: ProfileAuthPlan;
  /** The profile's password command with what it was made for (command and target): it caches a token. */
  passwordCommand?: { madeFor: string; credential: CommandCredential };
  /** Query Stats' snapshots of pg_stat_statements (delta mode and the detail panel's chart). */
  readonly statementHistory = new StatementHistory();
  /** The Activity view's active sessions by wait type at each refresh (the Activity panel's chart). */
  readonly waitHistory = new WaitHistory();

  constructor(
    public profile: ConnectionProfile,
    private readonly host: SessionHost,
  ) {}

  get state(): SessionState {
    return this.current;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The diagnostic client; connects (asking for a missing password) unless already connected. */
  connect(): Promise<Client> {
    if (this.current.kind === 'connected') return Promise.resolve(this.current.client);
    this.connecting ??= this.openMain().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** A pool of up to two more diagnostic sessions on this profile; reconnects by itself after a restart. */
  pool(): SessionPool {
    if (this.disposed) throw this.gone();
    this.sessionPool ??= new SessionPool(() => this.host.open(this, false), 2, this.host.logger, this.profile.name);
    return this.sessionPool;
  }

  /** Hands a resource to this session: it is disposed with the session unless released first. */
  own(name: string, dispose: () => Promise<void> | void): OwnedResource {
    const entry = { name, dispose };
    if (this.disposed) {
      void Promise.resolve(dispose()).catch(() => undefined);
      return { dispose: () => Promise.resolve() };
    }
    this.owned.push(entry);
    return {
      dispose: async () => {
        const i = this.owned.indexOf(entry);
        if (i < 0) return;
        this.owned.splice(i, 1);
        await dispose();
      },
    };
  }

  /**
   * Ends everything this session holds, owned resources first (they may use the client), then the
   * pool and the client; returns the names of what it ended, for the log and for tests.
   */
  async dispose(): Promise<string[]> {
    if (this.disposed) return [];
    this.disposed = true;
    const ended: string[] = [];
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      ended.push('reconnect timer');
    }
    for (const r of this.owned.splice(0).reverse()) {
      try {
        await r.dispose();
      } catch (err) {
        this.host.logger.debug(`${this.profile.name}: disposing ${r.name}: ${(err as Error).message}`);
      }
      ended.push(r.name);
    }
    if (this.sessionPool) {
      const size = this.sessionPool.size;
      await this.sessionPool.close();
      ended.push(`session pool (${size} open)`);
    }
    const s = this.current;
    this.current = { kind: 'disconnected' };
    if (s.kind === 'connected') {
      await s.client.end().catch(() => undefined);
      ended.push('diagnostic client');
    }
    if (this.statementHistory.previous) ended.push('statement snapshots');
    if (this.hbaRules) ended.push('learned pg_hba rules');
    if (this.serverFacts) ended.push('server facts');
    if (this.authPlan) ended.push('auth plan');
    if (this.passwordCommand) ended.push('password command');
    this.hbaRules = this.serverFacts = this.authPlan = this.passwordCommand = undefined;
    return ended;
  }

  private async openMain(): Promise<Client> {
    this.set({ kind: 'connecting' });
    try {
      const c = await this.host.open(this, true);
      if (this.disposed) {
        await c.client.end().catch(() => undefined);
        throw new PgOpsError('conn-cancelled', `${this.profile.name}: disconnected while connecting`, 'Connect again.');
      }
      this.adopt(c);
      return c.client;
    } catch (err) {
      if (!this.disposed) this.set({ kind: 'failed', error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  private adopt(c: OpenedSession): void {
    this.set({ kind: 'connected', serverVersionNum: c.info.serverVersionNum, client: c.client, info: c.info });
    c.client.on('error', (err) => {
      if (this.disposed || this.current.kind !== 'connected' || this.current.client !== c.client) return;
      this.host.logger.warn(`${this.profile.name}: session lost: ${err.message}`);
      this.set({ kind: 'failed', error: `connection lost: ${err.message}` });
      this.reconnect(0);
    });
  }

  private reconnect(attempt: number): void {
    if (this.disposed) return;
    if (attempt >= reconnectDelaysMs.length) {
      this.host.logger.warn(`${this.profile.name}: gave up reconnecting; use Connect to try again`);
      return;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.host.open(this, false).then(
        async (c) => {
          if (this.disposed) return void (await c.client.end().catch(() => undefined));
          this.adopt(c);
          this.host.logger.info(`${this.profile.name}: reconnected to ${c.info.description}`);
        },
        (err: unknown) => {
          this.host.logger.debug(`${this.profile.name}: reconnect failed: ${(err as Error).message}`);
          this.reconnect(attempt + 1);
        },
      );
    }, reconnectDelaysMs[attempt]);
  }

  private set(s: SessionState): void {
    this.current = s;
    this.host.changed(this);
  }

  private gone(): PgOpsError {
    return new PgOpsError('conn-disconnected', `${this.profile.name} is disconnected`, 'Connect it again.');
  }
}

import * as vscode from 'vscode';
import type { Client } from 'pg';
import type { ConnectionProfile } from '../core/conn/profile';
import { profileTarget } from '../core/conn/profile';
import { openSession, serverVersionNum } from '../core/conn/session';
import type { Logger } from '../core/log';
import { Disposable } from './disposable';
import { sessionSafety } from './settings';

export type SessionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected'; serverVersionNum: number; client: Client }
  | { kind: 'failed'; error: string };

/** One diagnostic session per connected profile, and the "active" profile the diagnostic views show. */
export class SessionManager extends Disposable {
  private readonly states = new Map<string, SessionState>();
  private readonly changed = this.register(new vscode.EventEmitter<string>());
  readonly onDidChange = this.changed.event;
  activeProfileId: string | undefined;

  constructor(private readonly logger: Logger, private readonly password: (p: ConnectionProfile) => Promise<string | undefined>) {
    super();
  }

  state(profileId: string): SessionState {
    return this.states.get(profileId) ?? { kind: 'disconnected' };
  }

  async connect(profile: ConnectionProfile): Promise<Client> {
    const existing = this.state(profile.id);
    if (existing.kind === 'connected') return existing.client;
    this.set(profile.id, { kind: 'connecting' });
    try {
      const client = await openSession(profileTarget(profile, await this.password(profile)), sessionSafety());
      client.on('error', (err) => {
        this.logger.warn(`${profile.name}: session lost: ${err.message}`);
        this.set(profile.id, { kind: 'failed', error: `connection lost: ${err.message}` });
      });
      const version = await serverVersionNum(client);
      this.set(profile.id, { kind: 'connected', serverVersionNum: version, client });
      this.activeProfileId = profile.id;
      this.logger.info(`${profile.name}: connected (server ${version})`);
      return client;
    } catch (err) {
      this.set(profile.id, { kind: 'failed', error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  async disconnect(profileId: string): Promise<void> {
    const s = this.state(profileId);
    this.set(profileId, { kind: 'disconnected' });
    if (s.kind === 'connected') await s.client.end().catch(() => undefined);
    if (this.activeProfileId === profileId) this.activeProfileId = undefined;
  }

  async disconnectAll(): Promise<void> {
    await Promise.all([...this.states.keys()].map((id) => this.disconnect(id)));
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

import * as vscode from 'vscode';
import { formatServerVersion } from '../core/conn/serverVersion';
import { Disposable } from './disposable';
import type { ProfileStore } from './profiles';
import type { SessionManager, SessionState } from './sessions';

/** What the status bar shows for a connection in each state: codicon and theme colours. */
const looks: Record<SessionState['kind'], { icon: string; background?: string; color?: string }> = {
  connected: { icon: '$(database)' },
  connecting: { icon: '$(loading~spin)' },
  failed: { icon: '$(error)', background: 'statusBarItem.errorBackground', color: 'statusBarItem.errorForeground' },
  disconnected: { icon: '$(debug-disconnect)' },
};

/**
 * Says which connection the diagnostic views show: a status bar item (name, server version, state; a click
 * connects or switches) and the views' descriptions. It follows the profile being connected, so
 * "connecting" and "failed" show too, and falls back to the active profile.
 */
export class ActiveConnectionStatus extends Disposable {
  private readonly item = this.register(
    vscode.window.createStatusBarItem('pgops.connection', vscode.StatusBarAlignment.Left, 50),
  );
  /** The profile last seen connecting: shown until it is disconnected. */
  private followed: string | undefined;

  constructor(
    private readonly sessions: SessionManager,
    private readonly profiles: ProfileStore,
    private readonly views: vscode.TreeView<unknown>[],
  ) {
    super();
    this.item.name = 'Postgres Ops connection';
    this.item.command = { command: 'pgops.connect', title: 'Connect or switch the connection' };
    this.register(
      sessions.onDidChange((id) => {
        if (sessions.state(id).kind === 'connecting') this.followed = id;
        this.refresh();
      }),
    );
    this.register(profiles.onDidChange(() => this.refresh()));
    this.refresh();
  }

  /** The profile shown: the one being connected or that failed, else the active one. */
  shownProfileId(): string | undefined {
    const followed = this.followed;
    if (followed && this.profiles.get(followed) && this.sessions.state(followed).kind !== 'disconnected')
      return followed;
    this.followed = undefined;
    return this.sessions.activeProfileId;
  }

  /** The status bar text, for tests: e.g. "$(database) Local sandbox (PostgreSQL 18) · 18.4". */
  get text(): string {
    return this.item.text;
  }

  refresh(): void {
    const id = this.shownProfileId();
    const profile = id ? this.profiles.get(id) : undefined;
    if (!profile) {
      this.render('$(plug) Postgres: not connected', 'Postgres Ops: no connection is active. Click to connect.');
      for (const v of this.views) v.description = undefined;
      return;
    }
    const state = this.sessions.state(profile.id);
    const look = looks[state.kind];
    const version = state.kind === 'connected' ? ` · ${formatServerVersion(state.serverVersionNum)}` : '';
    const what =
      state.kind === 'connected'
        ? `connected to PostgreSQL ${formatServerVersion(state.serverVersionNum)} at ${state.info.description}`
        : state.kind === 'failed'
          ? `failed: ${state.error}`
          : state.kind;
    this.render(
      `${look.icon} ${profile.name}${version}`,
      `Postgres Ops: ${profile.name}, ${what}. Click to connect or switch the connection.`,
      look,
    );
    const shown = state.kind === 'connected' && profile.id === this.sessions.activeProfileId;
    for (const v of this.views) v.description = shown ? profile.name : undefined;
  }

  private render(text: string, tooltip: string, look: { background?: string; color?: string } = {}): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: tooltip };
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(look.background) : undefined;
    this.item.color = look.color ? new vscode.ThemeColor(look.color) : undefined;
    this.item.show();
  }
}

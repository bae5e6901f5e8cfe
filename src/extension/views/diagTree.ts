import * as vscode from 'vscode';
import type { Client } from 'pg';
import type { ConnectionSession } from '../../core/conn/connectionSession';
import type { ConnectionProfile } from '../../core/conn/profile';
import { CancelledError, PgOpsError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { Disposable } from '../disposable';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { config } from '../settings';

/** A node of the diagnostic views: a ready TreeItem, its children, and what commands need from it. */
export class DiagNode<P = unknown> {
  constructor(
    readonly item: vscode.TreeItem,
    readonly children: DiagNode[] = [],
    readonly payload?: P,
  ) {}
}

export interface DiagContext {
  profile: ConnectionProfile;
  client: Client;
  serverVersionNum: number;
  /** The profile's per-connection object: what the view attaches to it (samplers, histories, panels) ends with it. */
  session: ConnectionSession;
}

export type LoadState<T> =
  | { kind: 'stale' }
  | { kind: 'no-connection'; reason: string }
  | { kind: 'loading' }
  | { kind: 'error'; message: string; hint?: string }
  /** `outdated`: shown while a reload runs or is due; `client`: the session the data came from. */
  | { kind: 'ready'; data: T; at: number; client: unknown; outdated?: boolean };

/** An explanation row: what is (not) there and what to do, never an empty view. */
export function messageNode(
  id: string,
  label: string,
  opts: { icon?: string; color?: string; detail?: string; command?: vscode.Command; tooltip?: string } = {},
): DiagNode {
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = id;
  item.description = opts.detail;
  item.tooltip = opts.tooltip ?? (opts.detail ? `${label}\n${opts.detail}` : label);
  item.iconPath = new vscode.ThemeIcon(opts.icon ?? 'info', opts.color ? new vscode.ThemeColor(opts.color) : undefined);
  item.command = opts.command;
  item.contextValue = 'pgops.diagMessage';
  return new DiagNode(item);
}

/** A key/value row under an item. */
export function detailNode(parentId: string, key: string, value: string, icon = 'symbol-field'): DiagNode {
  const item = new vscode.TreeItem(key, vscode.TreeItemCollapsibleState.None);
  item.id = `${parentId}/${key}`;
  item.description = value;
  item.tooltip = `${key}: ${value}`;
  item.iconPath = new vscode.ThemeIcon(icon);
  return new DiagNode(item);
}

/**
 * The common part of Query Stats, Replication, Bloat and Health: follows the active connection, loads with
 * progress on the view, refreshes on demand or on the `pgops.diag.autoRefreshSeconds` interval,
 * and turns every state (no connection, loading, error) into explaining rows.
 */
export abstract class DiagTreeProvider<T> extends Disposable implements vscode.TreeDataProvider<DiagNode> {
  private readonly changed = this.register(new vscode.EventEmitter<DiagNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private timer?: NodeJS.Timeout;
  private loading?: Promise<void>;
  private generation = 0;
  state: LoadState<T> = { kind: 'stale' };

  constructor(
    protected readonly viewId: string,
    protected readonly sessions: SessionManager,
    protected readonly profiles: ProfileStore,
    protected readonly logger: Logger,
  ) {
    super();
    // Loads happen when VS Code asks for rows (the view is visible), so hidden views cost the server nothing.
    // Only a change of the session the rows came from reloads them: another profile connecting or failing, or
    // this one learning its pg_hba rules, leaves them (and an open context menu on them) alone.
    this.register(
      sessions.onDidChange(() => {
        if (!this.showsCurrentSession()) this.invalidate();
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.diag.autoRefreshSeconds')) this.schedule();
      }),
    );
    this.schedule();
  }

  /** Reads the view's data; throws PgOpsError with a hint on failure. */
  protected abstract load(ctx: DiagContext): Promise<T>;

  /** The rows of a loaded view; must explain itself when there is nothing to show. */
  protected abstract render(data: T, ctx: DiagContext | undefined): DiagNode[];

  /** The connection the view shows: the active profile's session, when connected. */
  context(): DiagContext | { error: string } {
    const id = this.sessions.activeProfileId;
    const profile = id ? this.profiles.get(id) : undefined;
    if (!id || !profile) return { error: 'No active connection.' };
    const session = this.sessions.session(id);
    const s = this.sessions.state(id);
    if (s.kind === 'connected' && session)
      return { profile, client: s.client, serverVersionNum: s.serverVersionNum, session };
    if (s.kind === 'failed') return { error: `${profile.name}: ${s.error}` };
    if (s.kind === 'connecting') return { error: `${profile.name}: connecting…` };
    return { error: `${profile.name} is not connected.` };
  }

  /** Whether the rows shown came from the active profile's current session. */
  private showsCurrentSession(): boolean {
    const ctx = this.context();
    return this.state.kind === 'ready' && !('error' in ctx) && ctx.client === this.state.client;
  }

  /** Marks rows of the current session outdated, to stay on screen until a reload replaces them; false for any other state. */
  private keepRowsWhileReloading(): boolean {
    if (!this.showsCurrentSession() || this.state.kind !== 'ready') return false;
    this.state = { ...this.state, outdated: true };
    return true;
  }

  /**
   * Reloads now (with progress on the view); concurrent calls share one load. Rows of the same session stay
   * on screen until the new ones arrive, so a refresh never pulls a row from under the user's pointer.
   * `quiet`: no progress bar on the view (a live refresh every few seconds would keep it flickering).
   */
  refresh(opts: { quiet?: boolean } = {}): Promise<void> {
    if (this.loading) return this.loading;
    const ctx = this.context();
    if ('error' in ctx) {
      this.state = { kind: 'no-connection', reason: ctx.error };
      this.changed.fire(undefined);
      return Promise.resolve();
    }
    const gen = ++this.generation;
    if (!this.keepRowsWhileReloading()) {
      this.state = { kind: 'loading' };
      this.changed.fire(undefined);
    }
    const withProgress = <R>(task: () => Promise<R>): Thenable<R> =>
      opts.quiet ? task() : vscode.window.withProgress({ location: { viewId: this.viewId } }, task);
    this.loading = Promise.resolve(
      withProgress(async () => {
        try {
          const data = await this.load(ctx);
          if (gen === this.generation) this.state = { kind: 'ready', data, at: Date.now(), client: ctx.client };
        } catch (err) {
          if (CancelledError.is(err)) {
            if (gen === this.generation && this.state.kind === 'ready') this.state = { ...this.state, outdated: false };
            return;
          }
          const message = err instanceof Error ? err.message : String(err);
          const hint = PgOpsError.is(err) ? err.hint : undefined;
          this.logger.warn(`${this.viewId}: ${message}${hint ? ` (hint: ${hint})` : ''}`);
          if (gen === this.generation) this.state = { kind: 'error', message, hint };
        }
      }),
    ).finally(() => {
      this.loading = undefined;
      this.changed.fire(undefined);
    });
    return this.loading;
  }

  /**
   * Marks the data outdated; it reloads the next time the view shows its rows. Rows of the current session stay
   * shown meanwhile; rows of another session (or none) give way to "Loading…".
   */
  invalidate(): void {
    if (this.loading) return;
    if (!this.keepRowsWhileReloading()) this.state = { kind: 'stale' };
    this.changed.fire(undefined);
  }

  /** Redraws without reloading (e.g. after a measurement was added to a node). */
  redraw(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: DiagNode): vscode.TreeItem {
    return node.item;
  }

  getChildren(node?: DiagNode): DiagNode[] {
    if (node) return node.children;
    const id = this.viewId;
    switch (this.state.kind) {
      case 'stale':
        void this.refresh();
        return [messageNode(`${id}/loading`, 'Loading…', { icon: 'loading~spin' })];
      case 'no-connection':
        // With no active profile at all, the view stays empty so VS Code shows its welcome text and buttons.
        if (!this.sessions.activeProfileId) return [];
        return [
          messageNode(`${id}/no-connection`, this.state.reason, {
            icon: 'plug',
            detail: 'Connect a profile (Connections view) or start the local sandbox.',
            command: { title: 'Connect', command: 'pgops.connect' },
          }),
        ];
      case 'loading':
        return [messageNode(`${id}/loading`, 'Loading…', { icon: 'loading~spin' })];
      case 'error':
        return [
          messageNode(`${id}/error`, this.state.message, {
            icon: 'error',
            color: 'errorForeground',
            tooltip: this.state.hint ? `${this.state.message}\n\n${this.state.hint}` : this.state.message,
          }),
          ...(this.state.hint ? [messageNode(`${id}/error-hint`, this.state.hint, { icon: 'lightbulb' })] : []),
        ];
      case 'ready': {
        if (this.state.outdated && !this.loading) void this.refresh();
        const ctx = this.context();
        return this.render(this.state.data, 'error' in ctx ? undefined : ctx);
      }
    }
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const seconds = config().get<number>('diag.autoRefreshSeconds', 0);
    if (seconds > 0) this.timer = setInterval(() => this.invalidate(), Math.max(2, seconds) * 1000);
  }

  override dispose(): void {
    if (this.timer) clearInterval(this.timer);
    super.dispose();
  }
}

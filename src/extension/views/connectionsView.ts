import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../core/conn/profile';
import { describeTarget } from '../../core/conn/session';
import { profileTarget } from '../../core/conn/profile';
import { Disposable } from '../disposable';
import type { ProfileStore } from '../profiles';
import type { SessionManager, SessionState } from '../sessions';

export type ConnectionsNode = ProfileNode | DetailNode;

/** A profile; contextValue `pgops.connection+<state>[+sandbox][+production]` drives the menus. */
export class ProfileNode {
  constructor(readonly profile: ConnectionProfile, readonly state: SessionState) {}

  get id(): string {
    return `connection:${this.profile.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.profile.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const connected = this.state.kind === 'connected';
    item.contextValue = ['pgops.connection', connected ? 'connected' : 'disconnected', this.profile.sandbox ? 'sandbox' : '', this.profile.production ? 'production' : '']
      .filter(Boolean).join('+');
    item.description = this.describeState();
    item.tooltip = new vscode.MarkdownString(`**${this.profile.name}**\n\n\`${describeTarget(profileTarget(this.profile))}\`${this.profile.production ? '\n\n$(warning) production' : ''}`, true);
    item.iconPath = this.icon();
    return item;
  }

  private describeState(): string {
    switch (this.state.kind) {
      case 'connected': return `connected · PostgreSQL ${Math.floor(this.state.serverVersionNum / 10000)}`;
      case 'connecting': return 'connecting…';
      case 'failed': return 'failed';
      default: return this.profile.sandbox ? 'sandbox' : '';
    }
  }

  private icon(): vscode.ThemeIcon {
    switch (this.state.kind) {
      case 'connected': return new vscode.ThemeIcon('database', new vscode.ThemeColor('charts.green'));
      case 'connecting': return new vscode.ThemeIcon('loading~spin');
      case 'failed': return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      default: return new vscode.ThemeIcon(this.profile.sandbox ? 'vm' : 'database');
    }
  }

  getChildren(): ConnectionsNode[] {
    const t = profileTarget(this.profile);
    const rows: Array<[string, string, string]> = [
      ['host', t.host.startsWith('/') ? `${t.host} (Unix socket)` : t.host, 'globe'],
      ['port', String(t.port), 'plug'],
      ['user', t.user, 'person'],
      ['database', t.database, 'database'],
    ];
    if (this.state.kind === 'connected') rows.push(['server', String(this.state.serverVersionNum), 'server']);
    if (this.state.kind === 'failed') rows.push(['error', this.state.error, 'error']);
    return rows.map(([k, v, icon]) => new DetailNode(this, k, v, icon));
  }
}

export class DetailNode {
  constructor(readonly parent: ProfileNode, readonly key: string, readonly value: string, readonly icon: string) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.key, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.parent.id}/${this.key}`;
    item.description = this.value;
    item.tooltip = `${this.key}: ${this.value}`;
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.contextValue = `pgops.connectionDetail+${this.key}`;
    return item;
  }

  getChildren(): ConnectionsNode[] {
    return [];
  }
}

export class ConnectionsView extends Disposable implements vscode.TreeDataProvider<ConnectionsNode> {
  private readonly changed = this.register(new vscode.EventEmitter<ConnectionsNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly profiles: ProfileStore, private readonly sessions: SessionManager) {
    super();
    this.register(profiles.onDidChange(() => this.refresh()));
    this.register(sessions.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: ConnectionsNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: ConnectionsNode): ConnectionsNode[] {
    if (node) return node.getChildren();
    return this.profiles.all().map((p) => new ProfileNode(p, this.sessions.state(p.id)));
  }
}

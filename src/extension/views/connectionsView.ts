import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../core/conn/profile';
import { resolveProfile } from '../../core/conn/profile';
import type { ProfileAuthPlan } from '../../core/conn/authPlanFor';
import type { ResolvedConnection } from '../../core/conn/resolve';
import { describeHost } from '../../core/conn/resolve';
import { maskUri } from '../../core/conn/conninfo';
import { formatServerVersion } from '../../core/conn/serverVersion';
import { describeError } from '../../core/errors';
import { markdownCodeBlock, markdownText } from '../../core/markdown';
import { Disposable } from '../disposable';
import { untrustedMarkdown } from '../ui';
import type { ProfileStore } from '../profiles';
import type { SessionManager, SessionState } from '../sessions';

export type ConnectionsNode = ProfileNode | DetailNode;

/** A profile; contextValue `pgops.connection+<state>[+sandbox][+production][+workspace]` drives the menus. */
export class ProfileNode {
  constructor(
    readonly profile: ConnectionProfile,
    readonly state: SessionState,
  ) {}

  get id(): string {
    return `connection:${this.profile.id}`;
  }

  private resolved(): ResolvedConnection | string {
    try {
      return resolveProfile(this.profile);
    } catch (err) {
      return describeError(err);
    }
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.profile.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const connected = this.state.kind === 'connected';
    const fromWorkspace = this.profile.origin === 'workspace';
    const flags = [
      this.profile.sandbox && 'sandbox',
      this.profile.production && 'production',
      fromWorkspace && 'workspace',
    ];
    item.contextValue = ['pgops.connection', connected ? 'connected' : 'disconnected', ...flags]
      .filter(Boolean)
      .join('+');
    item.description = [fromWorkspace ? 'workspace' : '', this.describeState()].filter(Boolean).join(' · ');
    const r = this.resolved();
    const where = typeof r === 'string' ? r : r.hosts.map((h) => describeHost(r, h)).join(', ');
    const source = this.profile.conninfo ? `\n\n${markdownCodeBlock(maskUri(this.profile.conninfo))}` : '';
    const production = this.profile.production ? ' $(warning) production' : '';
    const origin = fromWorkspace ? "\n\nFrom this workspace's settings (.vscode/settings.json), not yours." : '';
    item.tooltip = untrustedMarkdown(
      `**${markdownText(this.profile.name)}**${production}${source}\n\n${markdownText(where)}${origin}`,
      { themeIcons: true },
    );
    item.iconPath = this.icon();
    return item;
  }

  private describeState(): string {
    const prod = this.profile.production ? 'production · ' : '';
    switch (this.state.kind) {
      case 'connected':
        return `${prod}connected · PostgreSQL ${formatServerVersion(this.state.serverVersionNum)}${this.state.info.tls.inUse ? ' · TLS' : ''}`;
      case 'connecting':
        return `${prod}connecting…`;
      case 'failed':
        return `${prod}failed`;
      default:
        return this.profile.sandbox ? 'sandbox' : prod.replace(/ · $/, '');
    }
  }

  private icon(): vscode.ThemeIcon {
    switch (this.state.kind) {
      case 'connected':
        return new vscode.ThemeIcon('database', new vscode.ThemeColor('charts.green'));
      case 'connecting':
        return new vscode.ThemeIcon('loading~spin');
      case 'failed':
        return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      default:
        return new vscode.ThemeIcon(this.profile.sandbox ? 'vm' : this.profile.production ? 'warning' : 'database');
    }
  }

  getChildren(plan?: ProfileAuthPlan): ConnectionsNode[] {
    const rows: Array<[string, string, string, string?]> = [];
    const r = this.resolved();
    if (typeof r === 'string') {
      rows.push(['settings', r, 'error']);
    } else {
      r.hosts.forEach((h, i) =>
        rows.push([
          r.hosts.length > 1 ? `host ${i + 1}` : 'host',
          h.socket ? `${h.host} (Unix socket), port ${h.port}` : `${h.host}:${h.port}`,
          h.socket ? 'folder' : 'globe',
        ]),
      );
      rows.push(['user', r.user, 'person'], ['database', r.dbname, 'database'], ['sslmode', r.sslmode, 'lock']);
      if (r.hosts.length > 1) rows.push(['target_session_attrs', r.targetSessionAttrs, 'list-ordered']);
      if (r.service) rows.push(['service', `${r.service.name} (${r.service.file})`, 'file']);
    }
    if (this.state.kind === 'connected') {
      const info = this.state.info;
      rows.push([
        'server',
        `PostgreSQL ${formatServerVersion(info.serverVersionNum)} at ${info.description}`,
        'server',
      ]);
      rows.push([
        'auth',
        info.authMethod + (info.passwordSource ? ` (password from ${info.passwordSource})` : ''),
        'key',
      ]);
      rows.push([
        'tls',
        info.tls.inUse ? `${info.tls.protocol ?? 'TLS'}, verify=${info.tls.verified}` : 'off',
        info.tls.inUse ? 'lock' : 'unlock',
      ]);
      if (plan)
        rows.push([
          'pg_hba',
          plan.rule ? `line ${plan.rule.line}: ${plan.method ?? 'undetermined'}` : 'no line matches',
          'shield',
          `${plan.summary}\n\n${plan.plan}\n\nRules: ${plan.rulesFrom}`,
        ]);
    }
    if (this.state.kind === 'failed') rows.push(['error', this.state.error, 'error']);
    return rows.map(([k, v, icon, tooltip]) => new DetailNode(this, k, v, icon, tooltip));
  }
}

export class DetailNode {
  constructor(
    readonly parent: ProfileNode,
    readonly key: string,
    readonly value: string,
    readonly icon: string,
    readonly tooltip?: string,
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.key, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.parent.id}/${this.key}`;
    item.description = this.value;
    item.tooltip = this.tooltip ?? `${this.key}: ${this.value}`;
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

  constructor(
    private readonly profiles: ProfileStore,
    private readonly sessions: SessionManager,
  ) {
    super();
    this.register(profiles.onDidChange(() => this.refresh()));
    this.register(sessions.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The note above the profiles: in Restricted Mode, that the workspace's settings are not used. */
  message(): string | undefined {
    if (vscode.workspace.isTrusted) return undefined;
    return "Restricted Mode: connection profiles, pgbench and sandbox paths from this workspace's settings are not used until you trust the workspace.";
  }

  getTreeItem(node: ConnectionsNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: ConnectionsNode): ConnectionsNode[] {
    if (node instanceof ProfileNode) return node.getChildren(this.sessions.knownAuthPlan(node.profile.id));
    if (node) return node.getChildren();
    return this.profiles.all().map((p) => new ProfileNode(p, this.sessions.state(p.id)));
  }
}

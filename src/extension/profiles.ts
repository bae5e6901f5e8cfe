import * as vscode from 'vscode';
import type { ConnectionProfile } from '../core/conn/profile';
import { parseProfiles, profileKeys } from '../core/conn/profile';
import type { Logger } from '../core/log';
import { describeError, PgOpsError } from '../core/errors';
import { config } from './settings';
import { Disposable } from './disposable';

const sandboxKey = 'pgops.sandboxProfile';

/**
 * Profiles from the `pgops.connections` setting plus the sandbox's own profile, which
 * lives in global state because its socket path and port belong to this machine. Workspace
 * settings replace the user's list (as VS Code does for arrays) and only in a trusted workspace:
 * the setting is restricted, and this store does not rely on that alone.
 */
export class ProfileStore extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private lastError: string | undefined;

  constructor(
    private readonly state: vscode.Memento,
    private readonly logger: Logger,
  ) {
    super();
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgops.connections')) this.changed.fire();
      }),
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()));
  }

  /** The profiles, sandbox first; a malformed setting is reported once and yields the sandbox only. */
  all(): ConnectionProfile[] {
    const sandbox = this.state.get<ConnectionProfile>(sandboxKey);
    let fromSettings: ConnectionProfile[] = [];
    try {
      const inspect = config().inspect<unknown>('connections');
      const workspace = vscode.workspace.isTrusted ? inspect?.workspaceValue : undefined;
      const origin = workspace !== undefined ? 'workspace' : 'user';
      fromSettings = parseProfiles(workspace ?? inspect?.globalValue).map((p) => ({ ...p, origin }));
      this.lastError = undefined;
    } catch (err) {
      const text = describeError(err);
      if (text !== this.lastError) this.logger.error(text);
      this.lastError = text;
    }
    return sandbox ? [sandbox, ...fromSettings] : fromSettings;
  }

  settingsError(): string | undefined {
    return this.lastError;
  }

  get(id: string): ConnectionProfile | undefined {
    return this.all().find((p) => p.id === id);
  }

  async setSandbox(profile: ConnectionProfile | undefined): Promise<void> {
    await this.state.update(sandboxKey, profile);
    this.changed.fire();
  }

  async add(profile: Omit<ConnectionProfile, 'id'>, target: vscode.ConfigurationTarget): Promise<void> {
    if (this.all().some((p) => p.name === profile.name))
      throw new PgOpsError(
        'profile-exists',
        `A connection named "${profile.name}" already exists`,
        'Choose another name.',
      );
    if (target === vscode.ConfigurationTarget.Workspace && !vscode.workspace.isTrusted) {
      // The workspace's own list is withheld in Restricted Mode: writing one would replace it unseen.
      throw new PgOpsError(
        'profile-untrusted',
        `"${profile.name}" cannot go to workspace settings in Restricted Mode`,
        'Trust the workspace first, or save it in your user settings.',
      );
    }
    const key = target === vscode.ConfigurationTarget.Workspace ? 'workspaceValue' : 'globalValue';
    const current = (config().inspect<unknown[]>('connections')?.[key] ?? []) as object[];
    await config().update('connections', [...current, settingsEntry(profile)], target);
  }

  /** Replaces the entry named `oldName` in whichever settings scope holds it, keeping its position. */
  async update(oldName: string, next: Omit<ConnectionProfile, 'id'>): Promise<void> {
    if (next.name !== oldName && this.all().some((p) => p.name === next.name))
      throw new PgOpsError(
        'profile-exists',
        `A connection named "${next.name}" already exists`,
        'Choose another name.',
      );
    const found = this.scopeOf(oldName);
    if (!found)
      throw new PgOpsError(
        'profile-missing',
        `The connection "${oldName}" is not in user or workspace settings`,
        'It may come from folder settings; edit settings.json directly.',
      );
    const list = found.list.map((p) => (p.name === oldName ? settingsEntry(next) : p));
    await config().update('connections', list, found.target);
  }

  /** The settings scope holding a profile, so Duplicate can save the copy next to it. */
  scopeOf(name: string): { target: vscode.ConfigurationTarget; list: Array<{ name?: string }> } | undefined {
    const inspect = config().inspect<Array<{ name?: string }>>('connections');
    for (const [key, target] of [
      ['workspaceValue', vscode.ConfigurationTarget.Workspace],
      ['globalValue', vscode.ConfigurationTarget.Global],
    ] as const) {
      const list = inspect?.[key];
      if (list?.some((p) => p.name === name)) return { target, list };
    }
    return undefined;
  }

  async remove(profile: ConnectionProfile): Promise<void> {
    const inspect = config().inspect<Array<{ name?: string }>>('connections');
    for (const [key, target] of [
      ['workspaceValue', vscode.ConfigurationTarget.Workspace],
      ['globalValue', vscode.ConfigurationTarget.Global],
    ] as const) {
      const list = inspect?.[key];
      if (list?.some((p) => p.name === profile.name))
        await config().update(
          'connections',
          list.filter((p) => p.name !== profile.name),
          target,
        );
    }
  }
}

/** A profile as written to settings: known keys in a stable order, nothing empty, never a secret. */
export function settingsEntry(profile: Omit<ConnectionProfile, 'id'>): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const k of profileKeys) {
    const v = profile[k];
    if (v !== undefined && v !== false && v !== '') entry[k] = v;
  }
  return entry;
}

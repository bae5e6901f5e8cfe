import * as vscode from 'vscode';
import type { ConnectionProfile } from '../core/conn/profile';
import { parseProfiles } from '../core/conn/profile';
import type { Logger } from '../core/log';
import { describeError } from '../core/errors';
import { config } from './settings';
import { Disposable } from './disposable';

const sandboxKey = 'pgops.sandboxProfile';

/**
 * Profiles from the `pgops.connections` setting plus the sandbox's own profile, which
 * lives in global state because its socket path and port belong to this machine.
 */
export class ProfileStore extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private lastError: string | undefined;

  constructor(private readonly state: vscode.Memento, private readonly logger: Logger) {
    super();
    this.register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('pgops.connections')) this.changed.fire();
    }));
  }

  /** The profiles, sandbox first; a malformed setting is reported once and yields the sandbox only. */
  all(): ConnectionProfile[] {
    const sandbox = this.state.get<ConnectionProfile>(sandboxKey);
    let fromSettings: ConnectionProfile[] = [];
    try {
      fromSettings = parseProfiles(config().get('connections'));
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
    const current = (config().inspect<unknown[]>('connections')?.[target === vscode.ConfigurationTarget.Workspace ? 'workspaceValue' : 'globalValue'] ?? []) as object[];
    if (this.all().some((p) => p.name === profile.name)) throw new Error(`A connection named "${profile.name}" already exists`);
    const entry = Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined && v !== false));
    await config().update('connections', [...current, entry], target);
  }

  async remove(profile: ConnectionProfile): Promise<void> {
    const inspect = config().inspect<Array<{ name?: string }>>('connections');
    for (const [key, target] of [['workspaceValue', vscode.ConfigurationTarget.Workspace], ['globalValue', vscode.ConfigurationTarget.Global]] as const) {
      const list = inspect?.[key];
      if (list?.some((p) => p.name === profile.name)) await config().update('connections', list.filter((p) => p.name !== profile.name), target);
    }
  }
}

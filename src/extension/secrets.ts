import type * as vscode from 'vscode';
import type { CredentialSource } from '../core/conn/connect';

/**
 * Passwords of connection profiles, kept only in VS Code's SecretStorage (the OS keychain),
 * keyed by profile id. Settings, logs and errors never see them.
 */
export class ProfileSecrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  private key(profileId: string): string {
    return `pgops.password/${profileId}`;
  }

  async get(profileId: string): Promise<string | undefined> {
    return (await this.storage.get(this.key(profileId))) ?? undefined;
  }

  async has(profileId: string): Promise<boolean> {
    return (await this.get(profileId)) !== undefined;
  }

  async set(profileId: string, password: string): Promise<void> {
    await this.storage.store(this.key(profileId), password);
  }

  async delete(profileId: string): Promise<void> {
    await this.storage.delete(this.key(profileId));
  }

  /** For Duplicate and rename: the new profile id gets the same password. */
  async copy(fromId: string, toId: string, move = false): Promise<void> {
    const value = await this.get(fromId);
    if (value === undefined) return;
    await this.set(toId, value);
    if (move) await this.delete(fromId);
  }

  /** The stored password as a connection credential (asked for only when the server wants one). */
  credential(profileId: string): CredentialSource {
    return { label: 'Secret Storage', get: () => this.get(profileId) };
  }
}

import type * as vscode from 'vscode';
import type { CredentialSource } from '../core/conn/connect';

/** What a profile may keep in SecretStorage: its password, and the OAuth client secret of a confidential client. */
export type ProfileSecretKind = 'password' | 'oauthClientSecret';
const kinds: readonly ProfileSecretKind[] = ['password', 'oauthClientSecret'];

/**
 * The secrets of connection profiles, kept only in VS Code's SecretStorage (the OS keychain),
 * keyed by kind and profile id. Settings, logs and errors never see them.
 */
export class ProfileSecrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  private key(profileId: string, kind: ProfileSecretKind): string {
    return `pgops.${kind}/${profileId}`;
  }

  async get(profileId: string, kind: ProfileSecretKind = 'password'): Promise<string | undefined> {
    return (await this.storage.get(this.key(profileId, kind))) ?? undefined;
  }

  async has(profileId: string, kind: ProfileSecretKind = 'password'): Promise<boolean> {
    return (await this.get(profileId, kind)) !== undefined;
  }

  async set(profileId: string, value: string, kind: ProfileSecretKind = 'password'): Promise<void> {
    await this.storage.store(this.key(profileId, kind), value);
  }

  async delete(profileId: string, kind: ProfileSecretKind = 'password'): Promise<void> {
    await this.storage.delete(this.key(profileId, kind));
  }

  /** Every secret of a profile (Remove Connection). */
  async deleteAll(profileId: string): Promise<void> {
    for (const kind of kinds) await this.delete(profileId, kind);
  }

  /** For Duplicate and rename: the new profile id gets the same secrets. */
  async copy(fromId: string, toId: string, move = false): Promise<void> {
    for (const kind of kinds) {
      const value = await this.get(fromId, kind);
      if (value === undefined) continue;
      await this.set(toId, value, kind);
      if (move) await this.delete(fromId, kind);
    }
  }

  /** The stored password as a connection credential (asked for only when the server wants one). */
  credential(profileId: string): CredentialSource {
    return { label: 'Secret Storage', get: () => this.get(profileId) };
  }
}

import { randomUUID } from 'node:crypto';
import type { SecretStore } from '../auth/oauth/tokenCache';
import { describeError } from '../errors';
import type { Logger } from '../log';
import type { CredentialSource } from './connect';
import type { ConnectionProfile } from './profile';
import type { SecretBinding, SecretBindings, SecretTarget } from './secretBinding';
import {
  describeTarget,
  findBinding,
  profileSecretTarget,
  sameTarget,
  withBinding,
  withoutBinding,
} from './secretBinding';

/**
 * What a profile may keep in the secret store: its password, the OAuth client secret of a confidential client, and
 * the basic-auth credentials of its Patroni REST API (JSON {username, password}).
 */
export type ProfileSecretKind = 'password' | 'oauthClientSecret' | 'patroniRest';
const kinds: readonly ProfileSecretKind[] = ['password', 'oauthClientSecret', 'patroniRest'];
const kindNames: Record<ProfileSecretKind, string> = {
  password: 'password',
  oauthClientSecret: 'OAuth client secret',
  patroniRest: 'Patroni REST API credentials',
};

/** Small state kept outside settings and the keychain; VS Code's globalState (a Memento) has this shape. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const bindingsStateKey = 'pgops.secretBindings';

/**
 * The secrets of connection profiles. Each lives in the secret store under an internal id that pgops
 * makes (`pgops.<kind>@<id>`); the bindings (profile id → internal id, user, endpoints) live in the state
 * store, never in settings. A secret is handed only to a profile whose user, hosts and ports are still
 * those it was saved for; otherwise the lookup finds nothing, says why in the log, and the user is asked.
 *
 * Secrets an earlier pgops stored under `pgops.<kind>/<profile id>` move to a binding on first use, for
 * profiles from user settings only: a workspace can name any id, so its profiles never inherit them.
 */
export class ProfileSecrets {
  private readonly explained = new Set<string>();

  constructor(
    private readonly secrets: SecretStore,
    private readonly state: StateStore,
    private readonly logger: Logger,
    private readonly targetOf: (p: ConnectionProfile) => SecretTarget = (p) => profileSecretTarget(p),
    private readonly newId: () => string = randomUUID,
  ) {}

  async get(p: ConnectionProfile, kind: ProfileSecretKind = 'password'): Promise<string | undefined> {
    const b = await this.binding(p, kind);
    return b && (await this.secrets.get(secretKey(b.secretId, kind)));
  }

  async has(p: ConnectionProfile, kind: ProfileSecretKind = 'password'): Promise<boolean> {
    const b = await this.binding(p);
    return !!b && (await this.secrets.get(secretKey(b.secretId, kind))) !== undefined;
  }

  /** Whether any secret of the profile is stored (password, OAuth client secret, Patroni REST credentials). */
  async hasAny(p: ConnectionProfile): Promise<boolean> {
    for (const kind of kinds) if (await this.has(p, kind)) return true;
    return false;
  }

  /** Stores a secret for where the profile points now (throws when the profile does not resolve). */
  async set(p: ConnectionProfile, value: string, kind: ProfileSecretKind = 'password'): Promise<void> {
    const target = this.targetOf(p);
    let b = findBinding(this.bindings(), p.id, target);
    if (!b) {
      b = { secretId: this.newId(), ...target };
      await this.state.update(bindingsStateKey, withBinding(this.bindings(), p.id, b));
    }
    await this.secrets.store(secretKey(b.secretId, kind), value);
  }

  async delete(p: ConnectionProfile, kind: ProfileSecretKind = 'password'): Promise<void> {
    const b = await this.binding(p);
    if (!b) return;
    await this.secrets.delete(secretKey(b.secretId, kind));
    for (const other of kinds) if ((await this.secrets.get(secretKey(b.secretId, other))) !== undefined) return;
    await this.state.update(bindingsStateKey, withoutBinding(this.bindings(), p.id, b.secretId));
  }

  /** Every secret stored for where the profile points now (Remove Connection). */
  async deleteAll(p: ConnectionProfile): Promise<void> {
    for (const kind of kinds) await this.delete(p, kind);
  }

  /**
   * Rename, Duplicate, and an Edit the user agreed to: `to` gets the secrets `from` has, bound to where
   * `to` points. With `move`, `from`'s are deleted.
   */
  async copy(from: ConnectionProfile, to: ConnectionProfile, move = false): Promise<void> {
    if (from.id === to.id && !this.targetChanged(from, to)) return;
    for (const kind of kinds) {
      const value = await this.get(from, kind);
      if (value !== undefined) await this.set(to, value, kind);
    }
    if (move) await this.deleteAll(from);
  }

  /** Whether secrets saved for `from` would go somewhere else (another user, host or port) for `to`. */
  targetChanged(from: ConnectionProfile, to: ConnectionProfile): boolean {
    const a = this.tryTarget(from);
    const b = this.tryTarget(to);
    return !a || !b || !sameTarget(a, b);
  }

  /** `user@host:port` of a profile, for questions to the user. */
  where(p: ConnectionProfile): string {
    const t = this.tryTarget(p);
    return t ? describeTarget(t) : p.name;
  }

  /** The stored password as a connection credential (asked for only when the server wants one). */
  credential(p: ConnectionProfile): CredentialSource {
    return { label: 'Secret Storage', get: () => this.get(p) };
  }

  private bindings(): SecretBindings {
    return this.state.get<SecretBindings>(bindingsStateKey) ?? {};
  }

  private tryTarget(p: ConnectionProfile): SecretTarget | undefined {
    try {
      return this.targetOf(p);
    } catch {
      return undefined;
    }
  }

  /** The binding serving where `p` points now; `explain` names the kind whose refusal is worth a log line. */
  private async binding(p: ConnectionProfile, explain?: ProfileSecretKind): Promise<SecretBinding | undefined> {
    let target: SecretTarget;
    try {
      target = this.targetOf(p);
    } catch (err) {
      if (explain) this.explain(p, `no secret is looked up: ${describeError(err)}`);
      return undefined;
    }
    const found = findBinding(this.bindings(), p.id, target);
    if (found) return found;
    const others = this.bindings()[p.id] ?? [];
    if (others.length === 0) return this.migrateLegacy(p, target, explain);
    if (explain) {
      const holding: SecretBinding[] = [];
      for (const b of others)
        if ((await this.secrets.get(secretKey(b.secretId, explain))) !== undefined) holding.push(b);
      if (holding.length) {
        this.explain(
          p,
          `the ${kindNames[explain]} in Secret Storage was saved for ${holding.map(describeTarget).join(' and ')}; ` +
            `not sent to ${describeTarget(target)}, where the profile points now${originNote(p)}. ` +
            'If that server is right, enter the password when asked or use Edit Connection → Set password.',
        );
      }
    }
    return undefined;
  }

  /** A secret an earlier pgops stored under the profile id becomes bound to where a user-settings profile points. */
  private async migrateLegacy(
    p: ConnectionProfile,
    target: SecretTarget,
    explain?: ProfileSecretKind,
  ): Promise<SecretBinding | undefined> {
    const legacy: Array<[ProfileSecretKind, string]> = [];
    for (const kind of kinds) {
      const value = await this.secrets.get(legacyKey(p.id, kind));
      if (value !== undefined) legacy.push([kind, value]);
    }
    if (legacy.length === 0) return undefined;
    if (p.origin !== 'user' && !p.sandbox) {
      if (explain) {
        this.explain(
          p,
          `a secret that an earlier pgops stored under this profile's id is not used${originNote(p)}: it may belong to a profile ` +
            'with the same id in your user settings. Enter the password when asked or use Edit Connection → Set password.',
        );
      }
      return undefined;
    }
    for (const [kind, value] of legacy) await this.set(p, value, kind);
    for (const [kind] of legacy) await this.secrets.delete(legacyKey(p.id, kind));
    this.logger.info(
      `${p.name}: Secret Storage entries of an earlier pgops are now bound to ${describeTarget(target)}`,
    );
    return findBinding(this.bindings(), p.id, target);
  }

  /** Logs why a secret was not handed out, once per profile, target and reason. */
  private explain(p: ConnectionProfile, why: string): void {
    const key = `${p.id}\n${why}`;
    if (this.explained.has(key)) return;
    this.explained.add(key);
    this.logger.warn(`${p.name}: ${why}`);
  }
}

function secretKey(secretId: string, kind: ProfileSecretKind): string {
  return `pgops.${kind}@${secretId}`;
}

function legacyKey(profileId: string, kind: ProfileSecretKind): string {
  return `pgops.${kind}/${profileId}`;
}

function originNote(p: ConnectionProfile): string {
  return p.origin === 'workspace' ? ' (a profile from workspace settings)' : '';
}

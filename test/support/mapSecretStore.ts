/** A map standing in for VS Code's SecretStorage (which exists only inside VS Code), with the map to inspect. */
export interface MapSecretStore {
  secrets: Map<string, string>;
  get(k: string): Promise<string | undefined>;
  store(k: string, v: string): Promise<void>;
  delete(k: string): Promise<void>;
}

export function mapSecretStore(secrets = new Map<string, string>()): MapSecretStore {
  return {
    secrets,
    get: (k) => Promise.resolve(secrets.get(k)),
    store: (k, v) => {
      secrets.set(k, v);
      return Promise.resolve();
    },
    delete: (k) => {
      secrets.delete(k);
      return Promise.resolve();
    },
  };
}

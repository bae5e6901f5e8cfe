import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PatroniSettings } from '../conn/profile';
import { PgOpsError } from '../errors';
import type { PatroniEndpoint } from './patroniRest';

export interface PatroniCredentials {
  username: string;
  password: string;
}

/** Reads the JSON a profile keeps in Secret Storage for its Patroni REST API; undefined when absent or malformed. */
export function parsePatroniCredentials(text: string | undefined): PatroniCredentials | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as Partial<PatroniCredentials>;
    return typeof o.username === 'string' && typeof o.password === 'string'
      ? { username: o.username, password: o.password }
      : undefined;
  } catch {
    return undefined;
  }
}

function readPem(file: string, key: string, profileName: string): string {
  const full = file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file;
  try {
    return fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw new PgOpsError(
      'patroni-tls-file',
      `${profileName}: cannot read patroni.${key} "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      `Point patroni.${key} in the profile at a readable PEM file, or remove it.`,
    );
  }
}

/** The REST endpoint a profile's "patroni" settings and stored credentials describe. */
export function profilePatroniEndpoint(
  profileName: string,
  s: PatroniSettings,
  credentials: PatroniCredentials | undefined,
): PatroniEndpoint {
  return {
    urls: s.urls,
    auth: credentials,
    tls: {
      ca: s.cafile ? readPem(s.cafile, 'cafile', profileName) : undefined,
      cert: s.certfile ? readPem(s.certfile, 'certfile', profileName) : undefined,
      key: s.keyfile ? readPem(s.keyfile, 'keyfile', profileName) : undefined,
    },
  };
}

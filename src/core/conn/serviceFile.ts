import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { ConnParams } from './params';
import { isKeyword } from './params';

/** Where libpq looks for service definitions, in its order. */
export interface ServiceFileLocations {
  /** PGSERVICEFILE (or the servicefile keyword), else ~/.pg_service.conf. */
  userFile: string;
  /** PGSYSCONFDIR/pg_service.conf, else the compiled-in sysconfdir's. */
  systemFile: string;
}

export interface ServiceLookupEnv {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** libpq's compiled SYSCONFDIR; Debian's libpq uses /etc/postgresql-common. */
  sysconfDir: string;
}

export function serviceFileLocations(e: ServiceLookupEnv, servicefileKeyword?: string): ServiceFileLocations {
  return {
    userFile: servicefileKeyword || e.env.PGSERVICEFILE || path.join(e.homeDir, '.pg_service.conf'),
    systemFile: path.join(e.env.PGSYSCONFDIR || e.sysconfDir, 'pg_service.conf'),
  };
}

export interface ServiceDefinition {
  params: ConnParams;
  file: string;
}

/**
 * Reads service NAME the way libpq does: the user file first; the system file only when the user
 * file does not define it. An unknown service is an error naming every file searched.
 */
export function lookupService(name: string, where: ServiceFileLocations): ServiceDefinition {
  for (const file of [where.userFile, where.systemFile]) {
    if (!fs.existsSync(file)) continue;
    const params = readServiceGroup(file, name);
    if (params) return { params, file };
  }
  throw new PgOpsError(
    'service',
    `definition of service "${name}" not found (searched ${where.userFile} and ${where.systemFile})`,
    `Add a [${name}] section to one of those files, set PGSERVICEFILE to the file that has it, or check the spelling.`,
  );
}

/** The keyword=value lines of section [name], or undefined when the file has no such section. */
export function readServiceGroup(file: string, name: string): ConnParams | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PgOpsError(
      'service',
      `service file "${file}" cannot be read: ${(err as Error).message}`,
      'Check the file and its permissions.',
      { cause: err },
    );
  }
  const lines = text.split(/\r?\n/);
  let inGroup = false;
  let found = false;
  const params: ConnParams = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^\s+/, '').replace(/\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (inGroup) break;
      inGroup = line === `[${name}]`;
      found ||= inGroup;
      continue;
    }
    if (!inGroup) continue;
    const eq = line.indexOf('=');
    // libpq takes the key literally up to "=": "host = x" is a syntax error there too.
    const key = eq < 0 ? '' : line.slice(0, eq);
    if (key === 'service' || key === 'servicefile') {
      throw new PgOpsError(
        'service',
        `nested "${key}" specifications not supported in service file "${file}", line ${i + 1}`,
        'Remove that line; a service cannot include another.',
      );
    }
    if (eq < 0 || !isKeyword(key)) {
      throw new PgOpsError(
        'service',
        `syntax error in service file "${file}", line ${i + 1}`,
        'Each line of a section is keyword=value with a libpq keyword and no spaces around "=".',
      );
    }
    // An earlier line wins, as in libpq ("don't override any previous explicit setting").
    if (!(key in params)) params[key] = line.slice(eq + 1);
  }
  return found ? params : undefined;
}

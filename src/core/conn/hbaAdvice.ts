import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HbaAttempt, HbaRule, IdentRule } from '../auth/hba';
import { attemptFromServerMessage, explainAuthFailure, parseHbaFile } from '../auth/hba';
import { PgOpsError } from '../errors';
import type { ConnectOptions } from './connect';
import type { AttemptFailure } from './failures';

/** pg_hba rules and where they came from ("the server's pg_hba_file_rules", "the local file …"). */
export interface HbaRulesAtHand {
  rules: HbaRule[];
  description: string;
  /** pg_ident.conf mappings, when they could be read too (peer/ident/cert map= lines). */
  ident?: IdentRule[];
}

/**
 * The attempt as the server saw it: socket or TCP, TLS or not, user and database; the client
 * address from the server's own message when it gives one, else the loopback address we used.
 */
export function hbaAttemptOf(f: AttemptFailure, user: string, database: string): HbaAttempt {
  const attempt: HbaAttempt = f.host.socket
    ? { connection: 'local', user, database }
    : { connection: 'host', ssl: f.tls, user, database, address: loopbackAddress(f.host.hostaddr ?? f.host.host) };
  return { ...attempt, ...attemptFromServerMessage(f.reason) };
}

/** The address the server sees for a loopback or IP-literal host (a DNS name: unknown before connecting). */
export function loopbackAddress(host: string): string | undefined {
  if (host === 'localhost') return '127.0.0.1';
  return net.isIP(host) ? host : undefined;
}

/**
 * Connects the hba matcher to connection failures: when rules are known (read from the server
 * earlier, or from a file the user named), an authentication failure names the rule, its method
 * and the next step.
 */
export function hbaAdvisor(
  rulesFor: () => Promise<HbaRulesAtHand | undefined>,
  user: string,
  database: string,
): NonNullable<ConnectOptions['explainAuthFailure']> {
  return async (f) => {
    if (f.kind !== 'auth') return undefined;
    const known = await rulesFor();
    if (!known) return undefined;
    const ex = explainAuthFailure(known.rules, hbaAttemptOf(f, user, database));
    return { message: `${ex.summary} (pg_hba rules: ${known.description})`, hint: ex.nextStep };
  };
}

export interface HbaFileOptions {
  /** For `~/` (default: this user's home). */
  homeDir?: string;
  /** For a relative path (default: the process's working directory). */
  cwd?: string;
  /** The server version to read it as (default 18): not known before connecting. */
  major?: number;
}

/**
 * Rules from a local copy of the server's pg_hba.conf (a profile's `hbaFile`, the CLI's
 * `--hba-file`), for users who cannot read pg_hba_file_rules or have never connected. A file the
 * server would refuse is refused here too, naming the file and its line.
 */
export function hbaRulesFromFile(file: string, opts: HbaFileOptions = {}): HbaRulesAtHand {
  const home = opts.homeDir ?? os.homedir();
  const expanded = file === '~' ? home : file.startsWith('~/') ? path.join(home, file.slice(2)) : file;
  const full = path.resolve(opts.cwd ?? process.cwd(), expanded);
  const parsed = parseHbaFile(full, { traits: { major: opts.major ?? 18 } });
  const bad = parsed.problems.find((p) => p.severity === 'error');
  if (bad) {
    const at = bad.line > 0 ? ` "${full}": line ${bad.line} of ${bad.file}` : '';
    throw new PgOpsError(
      'hba-file',
      `Cannot use the pg_hba.conf copy${at}: ${bad.message}`,
      bad.hint ??
        "Point hbaFile (or --hba-file) at a readable copy of the server's pg_hba.conf, or remove the setting.",
    );
  }
  return { rules: parsed.rules, description: `the local copy ${full}` };
}

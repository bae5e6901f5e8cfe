import * as net from 'node:net';
import type { HbaAttempt, HbaRule } from '../auth/hba';
import { attemptFromServerMessage, explainAuthFailure } from '../auth/hba';
import type { ConnectOptions } from './connect';
import type { AttemptFailure } from './failures';

/** pg_hba rules and where they came from ("the server's pg_hba_file_rules", "the local file …"). */
export interface HbaRulesAtHand {
  rules: HbaRule[];
  description: string;
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

function loopbackAddress(host: string): string | undefined {
  if (host === 'localhost') return '127.0.0.1';
  return net.isIP(host) ? host : undefined;
}

/**
 * Connects the hba matcher to connection failures: when rules are known (read from the server
 * earlier, or from a file the user named), an authentication failure names the rule, its method
 * and the next step.
 */
export function hbaAdvisor(rulesFor: () => Promise<HbaRulesAtHand | undefined>, user: string, database: string): NonNullable<ConnectOptions['explainAuthFailure']> {
  return async (f) => {
    if (f.kind !== 'auth') return undefined;
    const known = await rulesFor();
    if (!known) return undefined;
    const ex = explainAuthFailure(known.rules, hbaAttemptOf(f, user, database));
    return { message: `${ex.summary} (pg_hba rules: ${known.description})`, hint: ex.nextStep };
  };
}

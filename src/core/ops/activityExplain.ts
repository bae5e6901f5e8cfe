import { diagError } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { explainOwned, genericPlanSince } from '../diag/statements';
import { PgOpsError } from '../errors';
import type { ActivitySession } from './activity';

/** Statements EXPLAIN accepts, by their first word (or an opening parenthesis of a bracketed SELECT). */
const explainable = /^(?:select|with|values|table|insert|update|delete|merge|execute|\()/i;

/** A session's statement text without leading comments and blanks, and without one trailing semicolon. */
export function statementText(query: string): string {
  let q = query.trim();
  for (;;) {
    if (q.startsWith('--')) q = q.replace(/^--[^\n]*\n?/, '').trimStart();
    else if (q.startsWith('/*') && q.includes('*/')) q = q.slice(q.indexOf('*/') + 2).trimStart();
    else break;
  }
  return q.replace(/;\s*$/, '').trimEnd();
}

/**
 * Why the plan of a session's statement cannot be shown, or undefined when it can. The statement must be
 * readable, one statement, of a kind EXPLAIN takes, from the database this session is connected to (names
 * resolve there), and without $n parameters before 16 (only GENERIC_PLAN plans those).
 */
export function sessionExplainRefusal(
  serverVersionNum: number,
  currentDatabase: string,
  s: Pick<ActivitySession, 'pid' | 'query' | 'database'>,
): PgOpsError | undefined {
  if (!s.query || s.query === '<insufficient privilege>')
    return new PgOpsError(
      'explain-no-text',
      `The statement of PID ${s.pid} is not visible to this role`,
      'GRANT pg_read_all_stats (or pg_monitor) to this role to see every session.',
    );
  const text = statementText(s.query);
  if (text.includes(';'))
    return new PgOpsError(
      'explain-multi',
      `The statement of PID ${s.pid} contains ";" and may be more than one statement`,
      'Open it in an editor and EXPLAIN the part you need.',
    );
  if (!explainable.test(text))
    return new PgOpsError(
      'explain-kind',
      `PID ${s.pid} runs "${text.split(/\s/, 1)[0].slice(0, 40)}", which EXPLAIN does not take`,
      'EXPLAIN shows plans of SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE and EXECUTE.',
    );
  if (s.database !== null && s.database !== currentDatabase)
    return new PgOpsError(
      'explain-database',
      `PID ${s.pid} runs in database "${s.database}", this connection is to "${currentDatabase}"`,
      `Connect a profile to "${s.database}" to EXPLAIN its statements, or open the statement in an editor.`,
    );
  if (serverVersionNum < genericPlanSince && /\$\d/.test(text))
    return new PgOpsError(
      'explain-version',
      `The statement of PID ${s.pid} has $n parameters, and EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16 or later`,
      'Open it in an editor and EXPLAIN it with real parameter values.',
    );
  return undefined;
}

/**
 * The plan of a session's running statement, without running it: EXPLAIN (GENERIC_PLAN) on 16+, plain EXPLAIN
 * before. Both use the bracketed option list, so a planted text such as `ANALYZE DELETE …` cannot turn it into
 * EXPLAIN ANALYZE. Runs on the read-only diagnostic session, as the session's role when it may (explainAs).
 */
export async function explainSessionQuery(
  client: Queryable,
  serverVersionNum: number,
  s: Pick<ActivitySession, 'pid' | 'query' | 'database' | 'user'>,
): Promise<string> {
  let db: string;
  try {
    db = (await client.query<{ db: string }>('SELECT pg_catalog.current_database() AS db')).rows[0].db;
  } catch (err) {
    throw diagError(err, 'Reading the current database');
  }
  const refusal = sessionExplainRefusal(serverVersionNum, db, s);
  if (refusal) throw refusal;
  const text = statementText(s.query ?? '');
  const options = serverVersionNum >= genericPlanSince ? 'GENERIC_PLAN' : 'COSTS true';
  return explainOwned(
    client,
    options,
    text,
    { role: s.user, database: s.database },
    `EXPLAIN of PID ${s.pid}'s statement`,
  );
}

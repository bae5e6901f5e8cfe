/**
 * EXPLAIN of a statement someone else runs, on the diagnostic session. That session pins its search_path to
 * pg_catalog (search_path trojans), where the statement's unqualified names do not resolve. When the session
 * may become the statement's role, the plan is taken as that role with the search_path it gets by default in
 * its database, for that EXPLAIN only: names resolve as they do for the application, and anything planning
 * runs (an immutable function folded) runs with the application's privileges, not the DBA's.
 */
import type { Queryable } from './queryable';
import { quoteIdent, quoteLiteral } from '../sql';

/**
 * The search_path `role` starts with in `database`: ALTER ROLE … IN DATABASE, then ALTER ROLE, then ALTER
 * DATABASE, else the built-in default (`"$user", public`); `$user` is written as the role's name, since the
 * EXPLAIN runs as another role. Unknown role or database: the built-in default with `$user` left out.
 */
export const roleSearchPathSql = `SELECT
  (SELECT pg_catalog.pg_has_role(r.oid, 'MEMBER') FROM pg_catalog.pg_roles r WHERE r.rolname = $1) AS can_become,
  (SELECT pg_catalog.substr(c.conf, pg_catalog.length('search_path=') + 1)
   FROM pg_catalog.pg_db_role_setting s
   CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(conf)
   WHERE pg_catalog.starts_with(c.conf, 'search_path=')
     AND s.setrole IN (0, coalesce((SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1), 0))
     AND s.setdatabase IN (0, coalesce((SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = $2), 0))
   ORDER BY (s.setrole <> 0 AND s.setdatabase <> 0) DESC, (s.setrole <> 0) DESC, (s.setdatabase <> 0) DESC
   LIMIT 1) AS configured,
  (SELECT p.boot_val FROM pg_catalog.pg_settings p WHERE p.name = 'search_path') AS builtin`;

/** A search_path setting with `$user` replaced by `role` (or dropped without one). */
export function searchPathFor(setting: string, role: string | null): string {
  return setting
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .flatMap((s) => (s === '"$user"' || s === '$user' ? (role ? [quoteIdent(role)] : []) : [s]))
    .join(', ');
}

/** Who a statement's plan is taken as: its role and the search_path that role starts with. */
export interface ExplainAs {
  role: string;
  searchPath: string;
}

/**
 * The role and search_path to EXPLAIN a statement of `role` in `database` with; null when this session may not
 * become that role (then the plan is taken with the pinned search_path, and unqualified names do not resolve).
 */
export async function explainAs(
  client: Queryable,
  role: string | null,
  database: string | null,
): Promise<ExplainAs | null> {
  if (!role) return null;
  const r = await client.query<{ can_become: boolean | null; configured: string | null; builtin: string | null }>(
    roleSearchPathSql,
    [role, database],
  );
  const row = r.rows[0];
  if (!row?.can_become) return null;
  return { role, searchPath: searchPathFor(row.configured ?? row.builtin ?? '"$user", public', role) };
}

/**
 * `EXPLAIN (options) statement`, as `as` says when given: set_config of role and search_path (local) and the
 * EXPLAIN go in one simple-protocol message, which the server runs as one implicit transaction, so both
 * settings end with it and no other query of the shared session can run in between. The statement must be one
 * statement without ";" (the callers refuse others); a newline ends it, so a trailing `--` comment stays one.
 */
export async function explainStatement(
  client: Queryable,
  options: string,
  statement: string,
  as: ExplainAs | null,
): Promise<string> {
  const settings = as
    ? `SELECT pg_catalog.set_config('role', ${quoteLiteral(as.role)}, true), ` +
      `pg_catalog.set_config('search_path', ${quoteLiteral(as.searchPath)}, true);\n`
    : '';
  const results = (await client.query(`${settings}EXPLAIN (${options}) ${statement}\n`)) as unknown as
    Array<{ rows: Array<Record<string, string>> }> | { rows: Array<Record<string, string>> };
  const last = Array.isArray(results) ? results[results.length - 1] : results;
  return last.rows.map((row) => row['QUERY PLAN']).join('\n');
}

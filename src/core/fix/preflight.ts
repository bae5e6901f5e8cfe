/**
 * The checklist a fix passes before it runs. A failed check blocks the run; a warning, or a figure that
 * could not be measured, needs an explicit go. Everything here is read-only and runs on the diagnostic session.
 */
import type { HostShell } from '../bench/hostShell';
import { diagStep } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { num, numOrNull } from '../diag/queryable';
import { formatBytes } from '../diag/replication';
import { describeError, PgOpsError } from '../errors';
import { formatAge } from '../ops/activity';
import { maintenanceOperations } from '../ops/progress';
import { redactText } from '../redact';
import type { Leftover } from './leftovers';
import { findLeftovers } from './leftovers';
import type { FixPlan } from './plan';
import type { RepackExtension, RepackProgram } from './repackTool';
import { repackExtension, repackLockHolders } from './repackTool';
import type { FixObject } from './target';
import { qualifiedName } from './target';

export type CheckStatus = 'ok' | 'warn' | 'unknown' | 'fail';

/** A session that may hold the fix up: a long transaction, or a lock on the table or one of its indexes. */
export interface Blocker {
  /** 0 for a prepared transaction. */
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  backendType: string | null;
  xactAgeS: number | null;
  /** Lock modes it holds on the table or its indexes, e.g. "AccessShareLock, RowExclusiveLock". */
  locks: string | null;
  /** The statement (redacted), or the gid of a prepared transaction. */
  query: string | null;
}

export interface Check {
  id:
    | 'object'
    | 'privilege'
    | 'repack-extension'
    | 'repack-program'
    | 'repack-key'
    | 'running'
    | 'leftovers'
    | 'disk'
    | 'blockers'
    | 'replication';
  title: string;
  status: CheckStatus;
  detail: string;
  blockers?: Blocker[];
  leftovers?: Leftover[];
}

export interface Checklist {
  checks: Check[];
  /** A check failed: the fix must not run. */
  blocked: boolean;
  /** Warnings and unknowns: the fix runs only after an explicit go. */
  needsGo: boolean;
}

export interface PreflightOptions {
  /** Transactions older than this (seconds) are listed as blockers. */
  maxXactAgeS: number;
  /** Free space must exceed what the fix writes by this many percent. */
  diskMarginPct: number;
  /** The pg_repack program, or why it was not found (repack only). */
  repackProgram?: RepackProgram | PgOpsError;
  /** A shell on the database host for `df`, or the reason there is none. */
  hostShell?: () => Promise<HostShell | string>;
}

export function checklist(checks: Check[]): Checklist {
  return {
    checks,
    blocked: checks.some((c) => c.status === 'fail'),
    needsGo: checks.some((c) => c.status === 'warn' || c.status === 'unknown'),
  };
}

export async function preflight(
  client: Queryable,
  o: FixObject,
  plan: FixPlan,
  opts: PreflightOptions,
): Promise<Checklist> {
  const action = plan.request.action;
  const checks: Check[] = [objectCheck(o), privilegeCheck(o, action)];
  if (action === 'repack') checks.push(...(await repackChecks(client, o, plan, opts.repackProgram)));
  checks.push(await runningCheck(client, o, action));
  checks.push(leftoversCheck(await findLeftovers(client, o.table.oid), action));
  checks.push(await diskCheck(client, o, plan, opts));
  checks.push(await blockersCheck(client, o, plan, opts.maxXactAgeS));
  checks.push(await replicationCheck(client, o, plan));
  return checklist(checks);
}

function objectCheck(o: FixObject): Check {
  const what =
    o.kind === 'index'
      ? `index ${qualifiedName(o, true)} (${formatBytes(o.indexBytes ?? 0)}) on table ${qualifiedName(o.table, true)}`
      : `${o.table.relkind === 'm' ? 'materialized view' : 'table'} ${qualifiedName(o, true)}`;
  return {
    id: 'object',
    title: 'The object exists',
    status: 'ok',
    detail:
      `${what}: table ${formatBytes(o.tableBytes)}, ${o.indexes.length} index${o.indexes.length === 1 ? '' : 'es'} ` +
      `${formatBytes(o.indexesBytes)}; tablespace ${o.tablespace.name}`,
  };
}

function privilegeCheck(o: FixObject, action: FixPlan['request']['action']): Check {
  if (action === 'repack' || o.ownedByUs)
    return {
      id: 'privilege',
      title: 'Privilege',
      status: 'ok',
      detail:
        action === 'repack'
          ? 'checked with the pg_repack extension below'
          : 'this role owns the table or is a superuser',
    };
  return {
    id: 'privilege',
    title: 'Privilege',
    status: 'fail',
    detail:
      `this role does not own ${qualifiedName(o.table, true)}: ` +
      `${action === 'vacuum' ? 'VACUUM would skip it with a warning' : 'REINDEX would be refused'}. ` +
      'Connect as its owner (or a member of the owning role) or a superuser.',
  };
}

async function repackChecks(
  client: Queryable,
  o: FixObject,
  plan: FixPlan,
  program: RepackProgram | PgOpsError | undefined,
): Promise<Check[]> {
  const ext: RepackExtension = await diagStep('Reading the pg_repack extension', 'pg_monitor', () =>
    repackExtension(client),
  );
  const checks: Check[] = [];
  if (ext.installed === null)
    checks.push({
      id: 'repack-extension',
      title: 'pg_repack extension',
      status: 'fail',
      detail:
        ext.available === null
          ? 'pg_repack is not available on this server (it is not in pg_available_extensions): a DBA installs the ' +
            'package for this major version on the database host (Debian/Ubuntu: postgresql-<major>-repack), then runs ' +
            'CREATE EXTENSION pg_repack in this database. Until then use vacuum or reindex.'
          : `pg_repack ${ext.available} is available but not created in this database: a superuser runs CREATE EXTENSION pg_repack; here.`,
    });
  else if (!ext.superuser)
    checks.push({
      id: 'repack-extension',
      title: 'pg_repack extension',
      status: 'fail',
      detail: `pg_repack ${ext.installed} is installed, but pg_repack must run as a superuser and this role is not one: connect as a superuser.`,
    });
  else
    checks.push({
      id: 'repack-extension',
      title: 'pg_repack extension',
      status: 'ok',
      detail: `pg_repack ${ext.installed} is installed in this database`,
    });

  if (program === undefined || PgOpsError.is(program))
    checks.push({
      id: 'repack-program',
      title: 'pg_repack program',
      status: 'fail',
      detail: program ? describeError(program) : 'pg_repack was not looked for',
    });
  else if (program.version === null)
    checks.push({ id: 'repack-program', title: 'pg_repack program', status: 'fail', detail: program.versionText });
  else if (ext.installed !== null && program.version !== ext.installed)
    checks.push({
      id: 'repack-program',
      title: 'pg_repack program',
      status: 'fail',
      detail:
        `${program.path} is pg_repack ${program.version} but the extension in this database is ${ext.installed}: ` +
        'pg_repack refuses to run across versions. Use the program of the same version ' +
        '(pgops.fix.pgRepackPath, --pg-repack), or ALTER EXTENSION pg_repack UPDATE.',
    });
  else
    checks.push({
      id: 'repack-program',
      title: 'pg_repack program',
      status: 'ok',
      detail: `${program.path} (pg_repack ${program.version})${ext.installed ? ', the same version as the extension' : ''}`,
    });

  if (o.kind === 'table' && !plan.request.onlyIndexes) {
    const key = o.indexes.find((i) => i.primary && i.valid) ?? o.indexes.find((i) => i.usableKey);
    checks.push(
      key
        ? {
            id: 'repack-key',
            title: 'A key for the change log',
            status: 'ok',
            detail: `${key.primary ? 'primary key' : 'unique index on NOT NULL columns'} ${qualifiedName(key, true)}`,
          }
        : {
            id: 'repack-key',
            title: 'A key for the change log',
            status: 'fail',
            detail:
              `${qualifiedName(o, true)} has no primary key and no valid unique index on NOT NULL columns: ` +
              'pg_repack cannot track changes without one. Add a primary key, or use vacuum --full ' +
              '(which locks the table for the whole rewrite).',
          },
    );
  }
  return checks;
}

async function runningCheck(client: Queryable, o: FixObject, action: FixPlan['request']['action']): Promise<Check> {
  const holders = await diagStep('Reading the locks of running repacks', 'pg_monitor', () =>
    repackLockHolders(client, o.table.oid),
  );
  const onTable = (await maintenanceOperations(client)).filter((p) => p.relid === o.table.oid);
  const manual = onTable.filter((p) => !p.autovacuum);
  const auto = onTable.filter((p) => p.autovacuum);
  const title = 'No other maintenance on the table';
  if (holders.length)
    return {
      id: 'running',
      title,
      status: 'fail',
      detail:
        `pg_repack already works on ${qualifiedName(o.table, true)} (pid ${holders.join(', ')} holds its advisory ` +
        'lock): wait for it to finish, or cancel it.',
    };
  if (manual.length)
    return {
      id: 'running',
      title,
      status: 'fail',
      detail: `${manual.map((p) => `${p.command} (pid ${p.pid}, ${p.phase})`).join('; ')} runs on the table: wait for it to finish.`,
    };
  if (auto.length)
    return {
      id: 'running',
      title,
      status: 'warn',
      detail:
        `autovacuum (pid ${auto.map((p) => p.pid).join(', ')}) works on the table: it gives way to the fix's lock, ` +
        `unless it runs to prevent wraparound${action === 'vacuum' ? '; a VACUUM waits for it' : ''}.`,
    };
  return { id: 'running', title, status: 'ok', detail: 'no repack, VACUUM or index build runs on it' };
}

function leftoversCheck(leftovers: Leftover[], action: FixPlan['request']['action']): Check {
  const title = 'No leftovers of an interrupted fix';
  if (leftovers.length === 0) return { id: 'leftovers', title, status: 'ok', detail: 'none on this table' };
  const trigger = leftovers.some((l) => l.kind === 'repack trigger');
  const list = leftovers
    .map((l) => `${l.kind} ${l.object}${l.inUseBy ? ` (in use by pid ${l.inUseBy})` : ''}`)
    .join('; ');
  return {
    id: 'leftovers',
    title,
    status: action === 'repack' && trigger ? 'fail' : 'warn',
    detail:
      `${list}. ` +
      (action === 'repack' && trigger
        ? 'pg_repack refuses a table that still has its trigger: clean up first (pgops fix cleanup, or Clean Up in VS Code).'
        : 'Clean them up (pgops fix cleanup) before or after this fix.'),
    leftovers,
  };
}

async function dataDirectory(client: Queryable, o: FixObject): Promise<string | undefined> {
  if (o.tablespace.location) return o.tablespace.location;
  try {
    const r = await client.query<{ d: string }>("SELECT pg_catalog.current_setting('data_directory') AS d");
    return r.rows[0]?.d || undefined;
  } catch {
    return undefined;
  }
}

/** Bytes available to unprivileged users on the file system of `dir`, from POSIX `df -P -k`. */
export function parseDfAvailable(output: string): number | null {
  // Filesystem 1024-blocks Used Available Capacity Mounted-on: a long device name may wrap onto its own line and
  // the mount point may hold spaces, so the figure is the one before the capacity ("56%")
  const fields = output.trim().split('\n').slice(1).join(' ').trim().split(/\s+/);
  const capacity = fields.findIndex((f, i) => i >= 4 && /^\d+%$/.test(f));
  const avail = capacity > 0 ? Number(fields[capacity - 1]) : NaN;
  return Number.isSafeInteger(avail) ? avail * 1024 : null;
}

async function diskCheck(client: Queryable, o: FixObject, plan: FixPlan, opts: PreflightOptions): Promise<Check> {
  const title = 'Free disk space';
  if (plan.extraBytes === 0)
    return { id: 'disk', title, status: 'ok', detail: 'not needed: this fix writes no copy of the table' };
  const need = Math.ceil(plan.extraBytes * (1 + opts.diskMarginPct / 100));
  const needText = `${formatBytes(need)} needed (${formatBytes(plan.extraBytes)} for the copy + ${opts.diskMarginPct}% margin)`;
  const unknown = (why: string): Check => ({
    id: 'disk',
    title,
    status: 'unknown',
    detail: `${needText}; free space unknown: ${why}. Check it yourself before you go on.`,
  });
  const dir = await dataDirectory(client, o);
  if (!dir)
    return unknown(
      `the tablespace ${o.tablespace.name} is in the data directory, which this role may not read (superuser or pg_read_all_settings)`,
    );
  const shell = opts.hostShell
    ? await opts.hostShell().catch((err: unknown) => describeError(err))
    : 'no access to the database host';
  if (typeof shell === 'string') return unknown(shell);
  try {
    const avail = parseDfAvailable(await shell.run('df', ['-P', '-k', dir], { timeoutMs: 10_000 }));
    if (avail === null) return unknown(`cannot read the output of df for ${dir}`);
    const where = `${dir} (${shell.where})`;
    return avail >= need
      ? { id: 'disk', title, status: 'ok', detail: `${formatBytes(avail)} free on ${where}; ${needText}` }
      : {
          id: 'disk',
          title,
          status: 'fail',
          detail: `only ${formatBytes(avail)} free on ${where}; ${needText}. A full disk stops the server: free space first.`,
        };
  } catch (err) {
    return unknown(describeError(err));
  } finally {
    await shell.close().catch(() => undefined);
  }
}

const blockersSql = `WITH rels AS (
  SELECT pg_catalog.unnest($1::int8[])::oid AS oid
), db AS (
  SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
)
SELECT a.pid, a.usename::text AS usename, a.application_name, a.state, a.backend_type,
  pg_catalog.date_part('epoch', pg_catalog.statement_timestamp() - a.xact_start)::float8 AS xact_age_s, a.query,
  (SELECT pg_catalog.string_agg(DISTINCT l.mode, ', ') FROM pg_catalog.pg_locks l
   WHERE l.pid = a.pid AND l.granted AND l.database = (SELECT oid FROM db) AND l.relation IN (SELECT oid FROM rels)) AS locks
FROM pg_catalog.pg_stat_activity a
WHERE a.pid <> pg_catalog.pg_backend_pid() AND a.datid = (SELECT oid FROM db)
  AND (a.xact_start < pg_catalog.statement_timestamp() - pg_catalog.make_interval(secs => $2)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = a.pid AND l.granted
                  AND l.database = (SELECT oid FROM db) AND l.relation IN (SELECT oid FROM rels)))
UNION ALL
SELECT 0, x.owner::text, NULL, 'prepared', 'prepared transaction',
  pg_catalog.date_part('epoch', pg_catalog.statement_timestamp() - x.prepared)::float8, x.gid, NULL
FROM pg_catalog.pg_prepared_xacts x
WHERE x.database = pg_catalog.current_database()
  AND x.prepared < pg_catalog.statement_timestamp() - pg_catalog.make_interval(secs => $2)
ORDER BY xact_age_s DESC NULLS LAST`;

async function blockersCheck(client: Queryable, o: FixObject, plan: FixPlan, maxXactAgeS: number): Promise<Check> {
  const rels = [o.table.oid, ...o.indexes.map((i) => i.oid)];
  const rows = await diagStep('Reading long transactions and locks on the table', 'pg_read_all_stats', async () => {
    return (await client.query(blockersSql, [rels, maxXactAgeS])).rows;
  });
  const blockers: Blocker[] = rows.map((r) => ({
    pid: num(r.pid),
    user: (r.usename as string | null) ?? null,
    application: (r.application_name as string | null) || null,
    state: (r.state as string | null) ?? null,
    backendType: (r.backend_type as string | null) ?? null,
    xactAgeS: numOrNull(r.xact_age_s),
    locks: (r.locks as string | null) ?? null,
    query:
      typeof r.query === 'string' && r.query !== '<insufficient privilege>'
        ? redactText(r.query)
        : ((r.query as string | null) ?? null),
  }));
  const title = `No transaction older than ${formatAge(maxXactAgeS)}, no lock on the table`;
  if (blockers.length === 0)
    return { id: 'blockers', title, status: 'ok', detail: 'no session of this database holds the fix up', blockers };
  const why =
    plan.request.action === 'vacuum' && !plan.request.full
      ? 'VACUUM cannot remove rows deleted after the oldest of these transactions began, and waits for conflicting locks'
      : 'the fix waits for these sessions (for its locks, or for their snapshots to end), and every new query on the table queues behind it meanwhile';
  return {
    id: 'blockers',
    title,
    status: 'warn',
    detail: `${blockers.length} session${blockers.length === 1 ? '' : 's'}: ${why}. ${blockers
      .slice(0, 5)
      .map(blockerLine)
      .join('; ')}${blockers.length > 5 ? '; …' : ''}`,
    blockers,
  };
}

export function blockerLine(b: Blocker): string {
  const who =
    b.pid === 0
      ? `prepared transaction ${JSON.stringify(b.query)}`
      : `pid ${b.pid}${b.user ? ` (${b.user}${b.application ? `, ${b.application}` : ''})` : ''}`;
  const age = b.xactAgeS === null ? '' : `, transaction ${formatAge(b.xactAgeS)}`;
  const locks = b.locks ? `, holds ${b.locks}` : '';
  const state = b.pid === 0 ? '' : `, ${b.state ?? 'unknown state'}`;
  // the statement (redacted when read), on one line and shortened: the checklist is read at a glance
  const text = b.pid !== 0 && b.query ? b.query.replace(/\s+/g, ' ').trim() : '';
  const query = text ? `: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}` : '';
  return `${who}${state}${age}${locks}${query}`;
}

const replicationSql = `SELECT
  (SELECT pg_catalog.array_agg(s.slot_name::text ORDER BY s.slot_name) FROM pg_catalog.pg_replication_slots s
   WHERE s.slot_type = 'logical' AND s.database = pg_catalog.current_database()) AS logical_slots,
  (SELECT pg_catalog.array_agg(p.pubname::text ORDER BY p.pubname) FROM pg_catalog.pg_publication p WHERE p.puballtables) AS all_tables_pubs,
  (SELECT pg_catalog.array_agg(DISTINCT pt.pubname::text) FROM pg_catalog.pg_publication_tables pt
   WHERE pt.schemaname = $2 AND pt.tablename = $3) AS table_pubs,
  (SELECT pg_catalog.array_agg(DISTINCT s.subname::text) FROM pg_catalog.pg_subscription_rel r
   JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid WHERE r.srrelid = $1::int8::oid) AS subscriptions,
  (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_replication) AS standbys`;

async function replicationCheck(client: Queryable, o: FixObject, plan: FixPlan): Promise<Check> {
  const title = 'Replication';
  const r = (
    await diagStep('Reading replication slots, publications and subscriptions', 'pg_monitor', async () => {
      return client.query(replicationSql, [o.table.oid, o.table.schema, o.table.name]);
    })
  ).rows[0];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const slots = list(r.logical_slots);
  const allTables = list(r.all_tables_pubs);
  const pubs = list(r.table_pubs);
  const subs = list(r.subscriptions);
  const standbys = num(r.standbys);
  const rewrite = plan.extraBytes > 0;
  const notes: string[] = [];
  if (rewrite && slots.length)
    notes.push(
      `logical slot${slots.length === 1 ? '' : 's'} ${slots.join(', ')} must decode the WAL of the whole copy ` +
        `(${formatBytes(plan.extraBytes)}) before it can move on`,
    );
  if (plan.request.action === 'repack' && allTables.length)
    notes.push(
      `publication${allTables.length === 1 ? '' : 's'} ${allTables.join(', ')} ${allTables.length === 1 ? 'is' : 'are'} ` +
        "FOR ALL TABLES: pg_repack's own tables (repack.log_*, repack.table_*) are published too, and a subscriber " +
        'without them stops with an error',
    );
  if (rewrite && pubs.length) notes.push(`the table is published (${pubs.join(', ')})`);
  if (subs.length)
    notes.push(
      `the table is a subscription target (${subs.join(', ')}): its apply worker waits while the fix holds its locks`,
    );
  const standbyText = standbys
    ? `${standbys} standby${standbys === 1 ? '' : 's'} replay${standbys === 1 ? 's' : ''} the fix's WAL`
    : 'no standby connected';
  if (notes.length === 0)
    return { id: 'replication', title, status: 'ok', detail: `no logical replication affected; ${standbyText}` };
  return { id: 'replication', title, status: 'warn', detail: `${notes.join('; ')}; ${standbyText}` };
}

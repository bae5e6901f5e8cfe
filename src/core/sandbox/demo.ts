/**
 * pgops' demo data in the local sandbox: the objects it is made of, how to tell whether it is all there,
 * and the record of the files it wrote outside the data directory, so Reset removes those too.
 * Every name is qualified with its schema and quoted by the one helper; the session pins search_path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Queryable } from '../diag/queryable';
import { quoteIdent, quoteLiteral, quoteQualified } from '../sql';

export const demoSchema = 'pgops_demo';
export const demoChurnedTable = 'churned_orders';
export const demoEventsTable = 'replicated_events';
export const demoPublication = 'pgops_demo_publication';
export const demoSlot = 'pgops_demo_slot';
export const demoReportName = 'pgops-demo-sample';

/** The schema's comment once every part is in place: the label users read, and the mark that seeding finished. */
export const demoCompleteComment =
  'pgops demo data, seeded completely: pgbench tables and a short workload, a churned table with bloat ' +
  `(${demoChurnedTable}), a logical replication slot (${demoSlot}) with pending changes, and a sample ` +
  'benchmark report. Reset Local Sandbox removes all of it.';
const demoPartialComment = 'pgops demo data, being seeded (incomplete until this comment says "seeded completely").';

export type DemoState = 'absent' | 'partial' | 'complete';

/** One cheap catalog query: whether the demo schema is there, and whether seeding finished. */
export async function demoState(client: Queryable): Promise<DemoState> {
  const { rows } = await client.query(
    `SELECT pg_catalog.obj_description(n.oid, 'pg_namespace') AS label
     FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`,
    [demoSchema],
  );
  if (rows.length === 0) return 'absent';
  const slot = await client.query('SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [demoSlot]);
  return rows[0].label === demoCompleteComment && slot.rows.length === 1 ? 'complete' : 'partial';
}

/** The labelled schema, marked incomplete until `markDemoComplete`. */
export async function createDemoSchema(client: Queryable): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(demoSchema)}`);
  await client.query(`COMMENT ON SCHEMA ${quoteIdent(demoSchema)} IS ${quoteLiteral(demoPartialComment)}`);
}

export async function markDemoComplete(client: Queryable): Promise<void> {
  await client.query(`COMMENT ON SCHEMA ${quoteIdent(demoSchema)} IS ${quoteLiteral(demoCompleteComment)}`);
}

/**
 * A table with real bloat: rows inserted, then four in five deleted with autovacuum off for this table,
 * then analyzed, so the statistics see a fifth of the rows in all of the pages. Made afresh each time.
 */
export async function createChurnedTable(client: Queryable, rows = 40_000): Promise<void> {
  const table = quoteQualified(demoSchema, demoChurnedTable);
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(
    `CREATE TABLE ${table} (id int8 PRIMARY KEY, customer int4 NOT NULL, note text NOT NULL, placed_at timestamptz NOT NULL)
     WITH (autovacuum_enabled = off)`,
  );
  await client.query(
    `COMMENT ON TABLE ${table} IS ${quoteLiteral(
      'pgops demo data: four in five rows deleted with autovacuum off, so the Bloat view has something real to show.',
    )}`,
  );
  await client.query(
    `INSERT INTO ${table} (id, customer, note, placed_at)
     SELECT g, g % 997, pg_catalog.md5(g::text) || pg_catalog.md5((g * 7)::text), pg_catalog.now()
     FROM pg_catalog.generate_series(1, $1::int8) AS g`,
    [rows],
  );
  await client.query(`DELETE FROM ${table} WHERE id % 5 <> 0`);
  // This session's insert and delete counts reach the statistics when it next goes idle, which can be after
  // the ANALYZE and would then mark the fresh statistics stale: flush them first (PostgreSQL 15+).
  const v = await client.query<{ v: number }>("SELECT pg_catalog.current_setting('server_version_num')::int4 AS v");
  if (v.rows[0].v >= 150000) await client.query('SELECT pg_catalog.pg_stat_force_next_flush()');
  await client.query(`ANALYZE ${table}`);
}

/**
 * A table in a publication, a pgoutput slot, then changes made after the slot: inserts, updates and a
 * delete the slot keeps until something consumes them (the Replication view's Peek shows them).
 * An existing slot or publication is kept, never duplicated.
 */
export async function createDemoReplication(client: Queryable): Promise<void> {
  const table = quoteQualified(demoSchema, demoEventsTable);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL,
     payload jsonb NOT NULL, at timestamptz NOT NULL DEFAULT pg_catalog.now())`,
  );
  await client.query(
    `COMMENT ON TABLE ${table} IS ${quoteLiteral(`pgops demo data: its changes wait in the slot ${demoSlot}.`)}`,
  );
  const pub = await client.query('SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1', [demoPublication]);
  if (pub.rows.length === 0) await client.query(`CREATE PUBLICATION ${quoteIdent(demoPublication)} FOR TABLE ${table}`);
  await client.query(
    `COMMENT ON PUBLICATION ${quoteIdent(demoPublication)} IS ${quoteLiteral('pgops demo data: what the demo slot decodes.')}`,
  );
  const slot = await client.query('SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [demoSlot]);
  if (slot.rows.length === 0)
    await client.query(`SELECT pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')`, [demoSlot]);
  await client.query(
    `INSERT INTO ${table} (kind, payload)
     SELECT 'order-placed', pg_catalog.jsonb_build_object('order', g, 'amount', g * 10) FROM pg_catalog.generate_series(1, 20) AS g`,
  );
  await client.query(`UPDATE ${table} SET kind = 'order-shipped' WHERE id % 4 = 0`);
  await client.query(`DELETE FROM ${table} WHERE id = (SELECT pg_catalog.min(id) FROM ${table})`);
}

/** What the demo wrote outside the data directory, kept next to it (the sandbox folder) for Reset. */
interface DemoManifest {
  reportFiles: string[];
}

const manifestName = 'demo.json';

function readManifest(sandboxRoot: string): DemoManifest {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(sandboxRoot, manifestName), 'utf8')) as Partial<DemoManifest>;
    return { reportFiles: Array.isArray(m.reportFiles) ? m.reportFiles.filter((f) => typeof f === 'string') : [] };
  } catch {
    return { reportFiles: [] };
  }
}

/** Adds files to the record (a demo seeded again from another folder leaves both recorded). */
export function recordDemoFiles(sandboxRoot: string, files: string[]): void {
  const reportFiles = [...new Set([...readManifest(sandboxRoot).reportFiles, ...files.map((f) => path.resolve(f))])];
  const text = `${JSON.stringify({ reportFiles } satisfies DemoManifest, null, 2)}\n`;
  fs.writeFileSync(path.join(sandboxRoot, manifestName), text, { mode: 0o600 });
}

/**
 * Deletes the demo's report files recorded in the sandbox folder. A file is deleted only while it is
 * still the demo's (it names the demo report), so a user's own file saved under that name later survives.
 * Returns the files deleted.
 */
export function removeDemoFiles(sandboxRoot: string): string[] {
  const removed: string[] = [];
  for (const f of readManifest(sandboxRoot).reportFiles) {
    try {
      const st = fs.lstatSync(f);
      if (!st.isFile() || !fs.readFileSync(f, 'utf8').includes(`"${demoReportName}"`)) continue;
      fs.rmSync(f);
      removed.push(f);
    } catch {
      // already gone
    }
  }
  fs.rmSync(path.join(sandboxRoot, manifestName), { force: true });
  return removed;
}

/**
 * search_path trojans (the CVE-2018-1058 class): which functions the SQL in src/core calls, read from
 * the source so SQL added later is covered without editing the test, and look-alikes of each planted
 * in `public` by an unprivileged role, with the signatures that would beat or equal the real ones.
 * A look-alike that runs logs `pgops-trojan-fired: name(args)` as a WARNING, which the server writes
 * to its log even from a read-only session.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import * as ts from 'typescript';
import { quoteIdent, quoteQualified } from '../../src/core/sql';

export const firedMarker = 'pgops-trojan-fired';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every string and template literal of a file; a template's parts are joined around a placeholder. */
function stringTexts(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const texts: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) texts.push(node.text);
    else if (ts.isTemplateExpression(node))
      texts.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ${} '));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return texts;
}

/**
 * Identifiers followed by `(` in any string of src/core, and strings that are one identifier (a
 * name handed to a qualifying helper, as in `${quoteQualified(schema, 'pgstatindex')}(…)`),
 * lower-cased, with the files they appear in. Words of prose and SQL keywords come along;
 * callers keep the names pg_proc knows.
 */
export function calledNamesInSource(coreDir: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const file of tsFiles(coreDir)) {
    for (const text of stringTexts(file)) {
      const bare = /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? [['', text]] : [];
      for (const m of [...text.matchAll(/(?<![\w$])([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(/g), ...bare]) {
        const name = m[1].toLowerCase();
        const files = names.get(name) ?? [];
        const rel = path.relative(coreDir, file);
        if (!files.includes(rel)) files.push(rel);
        names.set(name, files);
      }
    }
  }
  return names;
}

interface ProcRow {
  proname: string;
  nspname: string;
  prokind: string;
  aggkind: string | null;
  proretset: boolean;
  rettype: string;
  /** IN (and INOUT/VARIADIC) argument types, format_type spelling */
  argtypes: string[];
  /** OUT / TABLE columns: name and type */
  outs: Array<{ name: string; type: string }>;
  variadic: boolean;
  nargdefaults: number;
}

const procSql = `SELECT p.proname::text AS proname, n.nspname::text AS nspname, p.prokind::text AS prokind, a.aggkind::text AS aggkind,
  p.proretset, pg_catalog.format_type(p.prorettype, NULL) AS rettype,
  ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM pg_catalog.unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i) ORDER BY i) AS argtypes,
  coalesce((SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', coalesce(p.proargnames[i], 'o' || i),
                                                                    'type', pg_catalog.format_type(t, NULL)) ORDER BY i)
    FROM pg_catalog.unnest(p.proallargtypes) WITH ORDINALITY u(t, i) WHERE p.proargmodes[i] IN ('o', 't')), '[]') AS outs,
  p.provariadic <> 0 AS variadic, p.pronargdefaults::int AS nargdefaults
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
WHERE p.proname = ANY ($1::text[]) AND n.nspname = ANY ($2::text[])
ORDER BY 1, 2, p.oid`;

/** What pgops passes where a function takes a polymorphic or "any" argument. */
export const concreteTypes = [
  'text',
  'name',
  'oid',
  'integer',
  'bigint',
  'smallint',
  'boolean',
  'double precision',
  'numeric',
  'pg_lsn',
  'timestamp with time zone',
  'bytea',
];
const elementPolymorphic = new Set(['anyelement', 'anynonarray', 'anycompatible', 'anycompatiblenonarray']);
const arrayPolymorphic = new Set(['anyarray', 'anycompatiblearray']);
/** Pseudo-types no SQL of pgops can pass; an overload taking one cannot be what pgops calls. */
const uncallable = new RegExp(
  `^(${[
    'internal',
    'cstring',
    'trigger',
    'event_trigger',
    'language_handler',
    'fdw_handler',
    'table_am_handler',
    'index_am_handler',
    'tsm_handler',
    'anyenum',
    'anyrange',
    'anymultirange',
    'anycompatiblerange',
    'anycompatiblemultirange',
  ].join('|')})$`,
);

export interface Lookalike {
  /** e.g. unnest(text[]) */
  signature: string;
  ddl: string[];
}

export interface PlantPlan {
  lookalikes: Lookalike[];
  /** names that are functions, with the overloads that cannot be imitated and why */
  skipped: string[];
  /** names pg_proc knows in the searched schemas */
  functionNames: string[];
}

function product<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((a) => list.map((x) => [...a, x])), [[]]);
}

/** The concrete argument lists a call of this overload can present (see the file comment). */
function concreteArgLists(p: ProcRow): string[][] {
  const polymorphic = [...p.argtypes, p.rettype, ...p.outs.map((o) => o.type)].some(
    (t) => elementPolymorphic.has(t) || arrayPolymorphic.has(t),
  );
  const elements = polymorphic ? concreteTypes : [undefined];
  const lists: string[][] = [];
  const counts = [p.argtypes.length];
  for (let k = 1; k <= p.nargdefaults; k++) counts.push(p.argtypes.length - k);
  for (const e of elements) {
    for (const n of counts) {
      const positions = p.argtypes.slice(0, n).map((t, i) => {
        const isVariadic = p.variadic && i === p.argtypes.length - 1;
        const declared = isVariadic && t.endsWith('[]') ? t.slice(0, -2) : t;
        if (e && elementPolymorphic.has(declared)) return [e];
        if (e && arrayPolymorphic.has(declared)) return [`${e}[]`];
        if (declared === 'regclass') return ['regclass', 'oid', 'text'];
        if (declared === '"any"') return concreteTypes;
        return [declared];
      });
      lists.push(...product(positions));
    }
  }
  return lists;
}

function concreteResult(type: string, args: string[], p: ProcRow): string {
  const elementAt = (t: string, i: number) =>
    elementPolymorphic.has(t) ? args[i] : arrayPolymorphic.has(t) ? args[i]?.replace(/\[\]$/, '') : undefined;
  const element = p.argtypes.map(elementAt).find((x) => x);
  if (elementPolymorphic.has(type)) return element ?? 'text';
  if (arrayPolymorphic.has(type)) return `${element ?? 'text'}[]`;
  return type;
}

let helperSeq = 0;

function lookalike(p: ProcRow, args: string[]): Lookalike {
  const signature = `${p.proname}(${args.join(', ')})`;
  const fired = `RAISE WARNING '${firedMarker}: %', ${quoteLiteralSql(signature)};`;
  const fn = quoteQualified('public', p.proname);
  if (p.prokind === 'a') {
    helperSeq += 1;
    const sfunc = quoteQualified('public', `pgops_trojan_sfunc_${helperSeq}`);
    const ffunc = quoteQualified('public', `pgops_trojan_final_${helperSeq}`);
    const ret = concreteResult(p.rettype, args, p);
    return {
      signature,
      ddl: [
        `CREATE FUNCTION ${sfunc}(bigint${args.map((a) => `, ${a}`).join('')}) RETURNS bigint LANGUAGE plpgsql AS 'BEGIN RETURN 0; END'`,
        `CREATE FUNCTION ${ffunc}(bigint) RETURNS ${ret} LANGUAGE plpgsql AS $trojan$ BEGIN ${fired} RETURN NULL; END $trojan$`,
        `CREATE AGGREGATE ${fn}(${args.length ? args.join(', ') : '*'}) (SFUNC = ${sfunc}, STYPE = bigint, INITCOND = '0', FINALFUNC = ${ffunc})`,
      ],
    };
  }
  const outs = p.outs.map((o) => `OUT ${quoteIdent(o.name)} ${concreteResult(o.type, args, p)}`);
  const ret = p.outs.length
    ? p.proretset
      ? 'SETOF record'
      : 'record'
    : `${p.proretset ? 'SETOF ' : ''}${concreteResult(p.rettype, args, p)}`;
  const returns = p.proretset || p.outs.length || p.rettype === 'void' ? 'RETURN;' : 'RETURN NULL;';
  const body = `$trojan$ BEGIN ${fired} ${returns} END $trojan$`;
  return {
    signature,
    ddl: [`CREATE FUNCTION ${fn}(${[...args, ...outs].join(', ')}) RETURNS ${ret} LANGUAGE plpgsql AS ${body}`],
  };
}

function quoteLiteralSql(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The look-alikes for `names`: every overload in `schemas` (pg_catalog and the extensions' schemas). */
export async function plantPlan(client: Client, names: string[], schemas: string[]): Promise<PlantPlan> {
  const rows = (await client.query<ProcRow>(procSql, [names, schemas])).rows;
  const seen = new Set<string>();
  const lookalikes: Lookalike[] = [];
  const skipped: string[] = [];
  for (const p of rows) {
    const label = `${p.nspname}.${p.proname}(${p.argtypes.join(', ')})`;
    if (p.prokind === 'w') {
      skipped.push(`${label}: a window function (only C can define one)`);
      continue;
    }
    if (p.prokind === 'p') {
      skipped.push(`${label}: a procedure (pgops CALLs none)`);
      continue;
    }
    if (p.prokind === 'a' && p.aggkind !== 'n') {
      skipped.push(`${label}: an ordered-set aggregate`);
      continue;
    }
    const bad = [...p.argtypes, p.rettype].find((t) => uncallable.test(t));
    if (bad) {
      skipped.push(`${label}: takes or returns ${bad}, which no pgops SQL passes`);
      continue;
    }
    for (const args of concreteArgLists(p)) {
      const key = `${p.proname}(${args.join(',')})`;
      if (seen.has(key)) continue;
      seen.add(key);
      lookalikes.push(lookalike(p, args));
    }
  }
  return { lookalikes, skipped, functionNames: [...new Set(rows.map((r) => r.proname))].sort() };
}

/**
 * Creates the look-alikes as `role` (unprivileged, CREATE on public only), as an attacker would.
 * One that cannot be created is a gap in the test, so it fails naming the DDL.
 */
export async function plantLookalikes(client: Client, role: string, lookalikes: Lookalike[]): Promise<void> {
  await client.query(`SET ROLE ${quoteIdent(role)}`);
  try {
    for (const l of lookalikes) {
      for (const ddl of l.ddl) {
        try {
          await client.query(ddl);
        } catch (err) {
          throw new Error(`cannot plant the look-alike ${l.signature}: ${(err as Error).message}\n${ddl}`);
        }
      }
    }
  } finally {
    await client.query('RESET ROLE');
  }
}

/** A byte offset into a server log, and the look-alike signatures that fired after it. */
export class LogWatch {
  private offset: number;

  constructor(private readonly file: string) {
    this.offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  }

  /** Every `pgops-trojan-fired` line (with the statement logged after it) since the last mark. */
  firedSinceMark(): string[] {
    const text = readFrom(this.file, this.offset);
    const lines = text.split('\n');
    const fired: string[] = [];
    lines.forEach((l, i) => {
      if (!l.includes(`${firedMarker}:`)) return;
      const statement = lines.slice(i + 1, i + 4).find((x) => /\bSTATEMENT:/.test(x));
      fired.push(
        `${l.slice(l.indexOf(firedMarker))}${statement ? `  <- ${statement.slice(statement.indexOf('STATEMENT:')).slice(0, 200)}` : ''}`,
      );
    });
    return fired;
  }

  mark(): void {
    this.offset = fs.statSync(this.file).size;
  }
}

function readFrom(file: string, offset: number): string {
  const size = fs.statSync(file).size;
  if (size <= offset) return '';
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

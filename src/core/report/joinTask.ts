/**
 * Join task files in pg_perfbench's format: `{"description": "...", "items": ["sections.<section>.reports.<item>.data", ...]}`.
 * The listed items must be equal in every report. v1.0's `<section>.<item>.data` form is accepted too.
 */
import * as fs from 'node:fs';
import { PgOpsError } from '../errors';

export interface JoinTask {
  description: string;
  items: string[];
  file?: string;
}

export interface ItemRef {
  section: string;
  item: string;
  /** The canonical form `sections.<section>.reports.<item>.data`. */
  path: string;
}

const current = /^sections\.([^.]+)\.reports\.([^.]+)\.data$/;
const legacy = /^([^.]+)\.([^.]+)\.data$/;

export function itemPath(section: string, item: string): string {
  return `sections.${section}.reports.${item}.data`;
}

export function parseItemRef(text: string, where: string): ItemRef {
  const m = current.exec(text) ?? legacy.exec(text);
  if (!m) {
    throw new PgOpsError(
      'join.task',
      `${where}: item "${text}" is not of the form sections.<section>.reports.<item>.data`,
      'Write items like "sections.db.reports.version_major.data".',
    );
  }
  return { section: m[1], item: m[2], path: itemPath(m[1], m[2]) };
}

export function validateJoinTask(value: unknown, where: string): JoinTask {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PgOpsError(
      'join.task',
      `${where}: expected an object with "description" and "items"`,
      'See media/join-tasks/ for examples.',
    );
  }
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.items) || v.items.length === 0 || !v.items.every((i) => typeof i === 'string')) {
    throw new PgOpsError(
      'join.task',
      `${where}: "items" must be a non-empty array of item paths`,
      'List the items that must be equal, e.g. "sections.db.reports.version_major.data".',
    );
  }
  const items = v.items.map((i, n) => parseItemRef(i, `${where}: items[${n}]`).path);
  return { description: typeof v.description === 'string' ? v.description : '', items: [...new Set(items)] };
}

export function readJoinTask(file: string): JoinTask {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PgOpsError(
      'join.task',
      `cannot read the join task ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Pass a task file, e.g. one of media/join-tasks/*.json.',
      { cause: err },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PgOpsError(
      'join.task',
      `${file}: not valid JSON: ${(err as Error).message}`,
      'Fix the JSON of the task file.',
    );
  }
  return { ...validateJoinTask(value, file), file };
}

export interface JoinCandidate {
  path: string;
  header: string;
  /** Equal in all the given reports, so requiring it would pass. */
  equal: boolean;
}

/**
 * Items an ad-hoc task may require: those present in every report, outside the result section
 * (results are expected to differ), in the first report's order.
 */
export function joinCandidates(
  reports: Array<{ sections: Record<string, { reports: Record<string, { header: string; data: unknown }> }> }>,
  equal: (a: unknown, b: unknown) => boolean,
): JoinCandidate[] {
  if (reports.length === 0) return [];
  const [first, ...rest] = reports;
  const out: JoinCandidate[] = [];
  for (const [sk, sec] of Object.entries(first.sections)) {
    if (sk === 'result') continue;
    for (const [ik, item] of Object.entries(sec.reports)) {
      const others = rest.map((r) => r.sections[sk]?.reports[ik]);
      if (others.some((o) => !o)) continue;
      out.push({ path: itemPath(sk, ik), header: item.header, equal: others.every((o) => equal(item.data, o?.data)) });
    }
  }
  return out;
}

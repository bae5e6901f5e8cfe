/**
 * Reading reports: ours (`*.pgperf.json`) and pg_perfbench's plain `.json`, validated so that
 * every later step (viewer, join, HTML) can trust the shape, and redacted (./redact.ts). A problem
 * names the file, the JSON path and what is wrong, e.g.
 * `r.json: sections.db.reports.pg_settings.theader: expected an array of strings`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { IterationResult, JsonValue, PgopsBlock, Report, ReportItem, ReportSection } from './model';
import { isJoinedPairs, itemStates, itemTypes, reportSchemaVersion } from './model';
import { reportFileStem } from './files';
import { redactReport } from './redact';

export class ReportFormatError extends PgOpsError {
  readonly file: string;
  readonly jsonPath: string;

  constructor(file: string, jsonPath: string, problem: string) {
    super(
      'report.invalid',
      `${file}: ${jsonPath || '(top level)'}: ${problem}`,
      'This file is not a benchmark report pgops can read (pgops *.pgperf.json or a pg_perfbench report .json).',
    );
    this.file = file;
    this.jsonPath = jsonPath;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kind = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** `a.b` for plain keys, `a["x.y"]` for keys a dotted path would misread. */
function child(p: string, key: string | number): string {
  if (typeof key === 'number') return `${p}[${key}]`;
  const plain = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key);
  return plain ? (p ? `${p}.${key}` : key) : `${p}[${JSON.stringify(key)}]`;
}

/** Line and column of a JSON.parse position, for a message that points into the file. */
function parsePosition(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m || /\bline \d+/.test(message)) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

export function parseReportText(text: string, file: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const msg = (err as Error).message;
    throw new ReportFormatError(file, '', `not valid JSON: ${msg.replace(/^.*?:\s*/, '')}${parsePosition(text, msg)}`);
  }
  // reports from anywhere (older pgops, pg_perfbench, someone else) may hold secrets: nothing reads them unredacted
  return redactReport(validateReport(value, file));
}

/**
 * The largest report pgops reads: far above any sweep's (a long run with per-second series is a few
 * MB), far below what JSON.parse can hold, and checked before a byte is read.
 */
export const maxReportBytes = 256 * 1024 * 1024;

/** A report file's text: a regular file under the size limit (a folder, a FIFO or a huge file is refused unread). */
export function readReportText(file: string): string {
  const failed = (err: unknown): PgOpsError =>
    new PgOpsError(
      'report.read',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Check the path.',
      { cause: err },
    );
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw failed(err);
  }
  if (!st.isFile()) {
    throw new PgOpsError(
      'report.read',
      `${file} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not a report`,
      'Give the path of a *.pgperf.json or pg_perfbench .json file.',
    );
  }
  checkReportSize(file, st.size);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw failed(err);
  }
}

/** Refuses a file over maxReportBytes, naming it and its size. */
export function checkReportSize(file: string, size: number): void {
  if (size <= maxReportBytes) return;
  throw new PgOpsError(
    'report.too-large',
    `${file} is ${formatMiB(size)}; pgops reads reports up to ${formatMiB(maxReportBytes)}`,
    'This is not a report pgops wrote; check the file name.',
  );
}

const formatMiB = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

export function readReport(file: string): Report {
  return parseReportText(readReportText(file), file);
}

/** Checks the shape and returns the same object typed; pg_perfbench v1.0 files without `report_name` get the file name. */
export function validateReport(value: unknown, file: string): Report {
  const fail = (p: string, problem: string): never => {
    throw new ReportFormatError(file, p, problem);
  };
  if (!isObject(value)) return fail('', `expected a JSON object, found ${kind(value)}`);
  for (const key of ['header', 'description'] as const) {
    if (value[key] === undefined) value[key] = '';
    if (typeof value[key] !== 'string') fail(key, `expected a string, found ${kind(value[key])}`);
  }
  if (value.report_name === undefined) value.report_name = path.basename(reportFileStem(file));
  if (typeof value.report_name !== 'string' || value.report_name === '')
    fail('report_name', `expected a non-empty string, found ${kind(value.report_name)}`);
  if (!isObject(value.sections))
    return fail('sections', `expected an object of sections, found ${kind(value.sections)}`);
  for (const [sk, sec] of Object.entries(value.sections)) validateSection(sec, child('sections', sk), fail);
  if (value.pgops !== undefined) validatePgops(value.pgops, fail);
  return value as unknown as Report;
}

type Fail = (p: string, problem: string) => never;

function validateSection(sec: unknown, p: string, fail: Fail): asserts sec is ReportSection {
  if (!isObject(sec)) return fail(p, `expected a section object, found ${kind(sec)}`);
  if (sec.header === undefined) sec.header = '';
  if (sec.description === undefined) sec.description = '';
  if (typeof sec.header !== 'string') fail(child(p, 'header'), `expected a string, found ${kind(sec.header)}`);
  if (typeof sec.description !== 'string')
    fail(child(p, 'description'), `expected a string, found ${kind(sec.description)}`);
  if (sec.state === undefined) sec.state = 'expanded';
  if (!itemStates.includes(sec.state as never))
    fail(child(p, 'state'), `expected one of ${itemStates.join(', ')}, found ${JSON.stringify(sec.state)}`);
  if (!isObject(sec.reports))
    return fail(child(p, 'reports'), `expected an object of items, found ${kind(sec.reports)}`);
  for (const [ik, item] of Object.entries(sec.reports)) validateItem(item, child(child(p, 'reports'), ik), fail);
}

function validateItem(item: unknown, p: string, fail: Fail): asserts item is ReportItem {
  if (!isObject(item)) return fail(p, `expected an item object, found ${kind(item)}`);
  if (typeof item.header !== 'string') fail(child(p, 'header'), `expected a string, found ${kind(item.header)}`);
  if (item.description !== undefined && item.description !== null && typeof item.description !== 'string')
    fail(child(p, 'description'), `expected a string, found ${kind(item.description)}`);
  if (!itemStates.includes(item.state as never))
    fail(child(p, 'state'), `expected one of ${itemStates.join(', ')}, found ${JSON.stringify(item.state)}`);
  if (!itemTypes.includes(item.item_type as never))
    fail(child(p, 'item_type'), `expected one of ${itemTypes.join(', ')}, found ${JSON.stringify(item.item_type)}`);
  if (!('data' in item)) fail(child(p, 'data'), 'missing');
  if (
    item.theader !== undefined &&
    !(Array.isArray(item.theader) && item.theader.every((h) => typeof h === 'string'))
  ) {
    fail(child(p, 'theader'), 'expected an array of strings');
  }
  const data = item.data as JsonValue;
  const dp = child(p, 'data');
  // Any item may hold a collector's error text instead of its data, and any item may be a join's side-by-side pairs.
  if (typeof data === 'string' || isJoinedPairs(data)) return;
  switch (item.item_type) {
    case 'plain_text':
    case 'link':
      return fail(dp, `expected a string for a ${item.item_type} item, found ${kind(data)}`);
    case 'table':
      if (!Array.isArray(data)) return fail(dp, `expected an array of rows, found ${kind(data)}`);
      data.forEach((row, i) => {
        // pg_perfbench appends "Skipping invalid object: ..." strings for bad script output.
        if (!Array.isArray(row) && typeof row !== 'string')
          fail(child(dp, i), `expected a row (an array), found ${kind(row)}`);
      });
      return;
    case 'chart':
      if (!isObject(data)) return fail(dp, `expected chart options (an object), found ${kind(data)}`);
      return;
  }
}

const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

function validatePgops(block: unknown, fail: Fail): asserts block is PgopsBlock {
  if (!isObject(block)) return fail('pgops', `expected an object, found ${kind(block)}`);
  if (typeof block.schemaVersion !== 'number')
    fail('pgops.schemaVersion', `expected a number, found ${kind(block.schemaVersion)}`);
  if (block.schemaVersion > reportSchemaVersion) {
    fail(
      'pgops.schemaVersion',
      `version ${String(block.schemaVersion)} is newer than this pgops understands (${reportSchemaVersion}); update pgops`,
    );
  }
  if (!['complete', 'interrupted', 'failed'].includes(block.status as string))
    fail('pgops.status', `expected complete, interrupted or failed, found ${JSON.stringify(block.status)}`);
  if (block.iterName === undefined) block.iterName = 'pgbench_clients';
  if (block.environmentNotes === undefined) block.environmentNotes = [];
  if (!Array.isArray(block.iterations))
    return fail('pgops.iterations', `expected an array, found ${kind(block.iterations)}`);
  block.iterations.forEach((it, i) => validateIteration(it, `pgops.iterations[${i}]`, fail));
  if (block.drill !== undefined) validateDrill(block.drill, fail);
  if (block.join !== undefined) {
    const j = block.join;
    if (!isObject(j) || !Array.isArray(j.results) || !Array.isArray(j.reports))
      return fail('pgops.join', 'expected reports and results arrays');
    j.results.forEach((r, ri) => {
      if (!isObject(r) || typeof r.name !== 'string' || !Array.isArray(r.iterations))
        return fail(`pgops.join.results[${ri}]`, 'expected { name, iterName, iterations }');
      r.iterations.forEach((it, i) => validateIteration(it, `pgops.join.results[${ri}].iterations[${i}]`, fail));
    });
  }
}

function validateDrill(d: unknown, fail: Fail): void {
  if (!isObject(d)) return fail('pgops.drill', `expected an object, found ${kind(d)}`);
  for (const key of ['eventStartMs', 'attempted', 'acknowledged', 'lost', 'intervalMs'] as const)
    if (typeof d[key] !== 'number') fail(`pgops.drill.${key}`, `expected a number, found ${kind(d[key])}`);
  if (!Array.isArray(d.series)) return fail('pgops.drill.series', `expected an array, found ${kind(d.series)}`);
  d.series.forEach((p, i) => {
    if (!isObject(p) || typeof p.tMs !== 'number' || typeof p.ok !== 'number' || typeof p.failed !== 'number')
      fail(`pgops.drill.series[${i}]`, 'expected { tMs, ok, failed } numbers');
  });
  for (const key of ['membersBefore', 'membersAfter', 'notes', 'lostSeqs'] as const)
    if (!Array.isArray(d[key])) fail(`pgops.drill.${key}`, `expected an array, found ${kind(d[key])}`);
}

function validateIteration(it: unknown, p: string, fail: Fail): asserts it is IterationResult {
  if (!isObject(it)) return fail(p, `expected an object, found ${kind(it)}`);
  for (const key of ['value', 'clients'] as const)
    if (typeof it[key] !== 'number') fail(child(p, key), `expected a number, found ${kind(it[key])}`);
  for (const key of [
    'tps',
    'latencyAvgMs',
    'latencyStddevMs',
    'initialConnectionMs',
    'processed',
    'failed',
    'skipped',
  ] as const) {
    if (it[key] === undefined) it[key] = null;
    if (!numOrNull(it[key])) fail(child(p, key), `expected a number or null, found ${kind(it[key])}`);
  }
  for (const key of ['series', 'waitEvents', 'topStatements'] as const) {
    if (it[key] !== undefined && !Array.isArray(it[key]))
      fail(child(p, key), `expected an array, found ${kind(it[key])}`);
  }
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { ReportAssets } from './html';
import { renderReportHtml } from './html';
import type { Report } from './model';
import { reportFileSuffix } from './model';
import { writeFileAtomic, writeReportAtomic } from './write';

/** The default folder of reports, relative to the workspace or the current directory. */
export const defaultReportsFolder = 'pgbench-reports';

export interface ReportPaths {
  json: string;
  html: string;
}

/** A report file without its `.pgperf.json` (ours) or `.json` (pg_perfbench's) suffix. */
export function reportFileStem(file: string): string {
  return file.replace(/(\.pgperf)?\.json$/i, '');
}

/** The self-contained HTML written beside a report file: `a.pgperf.json` and `a.json` → `a.html`. */
export function htmlSiblingOf(reportFile: string): string {
  return `${reportFileStem(reportFile)}.html`;
}

/** A time for a file name, to the second in UTC: 2026-12-02-10-16-05. */
export function fileTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[T:]/g, '-');
}

/** A report name usable as a file name on every platform. */
export function reportFileBase(reportName: string): string {
  const base = reportName
    .replace(/[^\w.@+-]+/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 120);
  if (!base)
    throw new PgOpsError(
      'bench-report-name',
      `The report name "${reportName}" gives no usable file name`,
      'Use letters, digits, dots, dashes or underscores.',
    );
  return base;
}

/** What is at a path, or undefined when nothing is (also when a parent is a file). */
function statOrNothing(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Where an output path points: a folder that receives a derived file name, or the file itself. */
export type OutputLocation = { folder: string } | { file: string };

/**
 * Reads an output path the same way for every command. An existing folder or file is what it is. Otherwise a
 * path ending in a separator or a name without `fileSuffix` (e.g. `.html`, `.json`) is a folder, created when
 * missing; a name ending in `fileSuffix` is a new file, whose folder must already exist. `flag` names the input.
 */
export function outputLocation(out: string, o: { flag: string; cwd: string; fileSuffix: string }): OutputLocation {
  const full = path.resolve(o.cwd, out);
  const existing = statOrNothing(full);
  if (existing) return existing.isDirectory() ? { folder: full } : { file: full };
  if (/[\\/]$/.test(out) || !full.toLowerCase().endsWith(o.fileSuffix.toLowerCase())) return { folder: full };
  const parent = path.dirname(full);
  const parentStat = statOrNothing(parent);
  if (!parentStat?.isDirectory())
    throw new PgOpsError(
      'out-folder',
      `${o.flag} ${out}: cannot write ${full}: ${parentStat ? `${parent} is not a folder` : `the folder ${parent} does not exist`}`,
      `Create the folder first, or give ${o.flag} a folder (the file name is then derived from the input).`,
    );
  return { file: full };
}

/** The file an output location names: itself, or `fileName` in the folder. */
export function outputFile(location: OutputLocation, fileName: string): string {
  return 'file' in location ? location.file : path.join(location.folder, fileName);
}

/** The folder an output location writes into. */
export function outputFolder(location: OutputLocation): string {
  return 'file' in location ? path.dirname(location.file) : location.folder;
}

/** The JSON file of a report named `reportName` at an output location (its HTML goes beside it). */
export function reportFileAt(location: OutputLocation, reportName: string): string {
  return outputFile(location, `${reportFileBase(reportName)}${reportFileSuffix}`);
}

export interface WrittenReportFiles extends ReportPaths {
  /** Why the HTML was not written (e.g. no viewer bundle); the JSON was. */
  htmlError?: string;
}

/**
 * The one writer of a report's pair of files: the JSON at `jsonFile` and its self-contained HTML beside
 * it, each atomically. The HTML is rendered before anything is written. When it cannot be made, the JSON
 * is still written (the data is safe) and `htmlError` says why, unless `htmlRequired`: then nothing is
 * written and the error is thrown. `assets`: the viewer bundle to inline (default: the built one).
 */
export function writeReportFiles(
  jsonFile: string,
  report: Report,
  opts: { htmlRequired?: boolean; assets?: ReportAssets } = {},
): WrittenReportFiles {
  const paths = { json: jsonFile, html: htmlSiblingOf(jsonFile) };
  if (!/\.json$/i.test(jsonFile))
    throw new PgOpsError(
      'report.write',
      `cannot write ${jsonFile}: a report file must end in .json`,
      `Name it ${reportFileSuffix} (its HTML goes beside it).`,
    );
  let html: string | undefined;
  let htmlError: string | undefined;
  try {
    html = renderReportHtml(report, opts.assets);
  } catch (err) {
    if (opts.htmlRequired) throw err;
    htmlError = err instanceof Error ? err.message : String(err);
  }
  writeReportAtomic(paths.json, report);
  if (html === undefined) return { ...paths, htmlError };
  writeFileAtomic(paths.html, html);
  return paths;
}

import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { Report } from '../report';
import { renderReportHtml, reportFileSuffix, writeFileAtomic, writeReportAtomic } from '../report';

/** The default folder of reports, relative to the workspace or the current directory. */
export const defaultReportsFolder = 'pgbench-reports';

export interface ReportPaths {
  json: string;
  html: string;
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

export function reportPaths(outDir: string, reportName: string): ReportPaths {
  const base = path.join(outDir, reportFileBase(reportName));
  return { json: `${base}${reportFileSuffix}`, html: `${base}.html` };
}

/**
 * Writes `<name>.pgperf.json` and its self-contained `<name>.html`, each atomically. The JSON is
 * written first: when the HTML cannot be made (no viewer bundle), the data is still safe.
 */
export function writeBenchReport(outDir: string, report: Report): ReportPaths & { htmlError?: string } {
  const paths = reportPaths(outDir, report.report_name);
  writeReportAtomic(paths.json, report);
  try {
    writeFileAtomic(paths.html, renderReportHtml(report));
    return paths;
  } catch (err) {
    return { ...paths, htmlError: (err as Error).message };
  }
}

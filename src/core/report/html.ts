/**
 * The self-contained HTML of a report: one file that opens offline in any browser. The report
 * viewer's bundle (`dist/webview/report.js`, the same code as the VS Code tab) is inlined, and the
 * report's view (the report with its summary, src/core/report/view.ts) is embedded as an inert
 * `application/json` block with `<`, `>`, `&` and the line separators escaped, so no value can
 * close the script element or run as markup. A CSP meta tag allows only the inlined script and
 * styles (by nonce): nothing is fetched, nothing else runs.
 * The report is redacted first (src/core/report/redact.ts), whoever made it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { Report } from './model';
import { redactReport } from './redact';
import { reportView } from './view';

export interface ReportAssets {
  /** The browser bundle of the report viewer. */
  script: string;
}

export const reportDataElementId = 'pgops-report-data';

/** JSON that is safe inside any HTML element: no `<`, `>` or `&` survive literally. */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Candidate places of the bundle: next to the bundled CLI/extension (dist/), or dist/ of the repo when run from out/. */
function assetCandidates(file: string): string[] {
  const found: string[] = [path.join(__dirname, 'webview', file)];
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    found.push(path.join(dir, 'dist', 'webview', file));
    dir = path.dirname(dir);
  }
  return found;
}

let cached: ReportAssets | undefined;

/** Reads the viewer bundle once; a missing bundle is a clear error (the build makes it). */
export function loadReportAssets(): ReportAssets {
  if (cached) return cached;
  const file = assetCandidates('report.js').find((p) => fs.existsSync(p));
  if (!file) {
    throw new PgOpsError(
      'report.assets',
      'the report viewer bundle (dist/webview/report.js) was not found',
      'Run `npm run build` first.',
    );
  }
  cached = { script: fs.readFileSync(file, 'utf8') };
  return cached;
}

/** A script body may not contain `</script` (any case); the bundle never should, but make sure. */
function inlineScript(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n').replace(/<\/(script)/gi, '<\\/$1');
}

export function renderReportHtml(unredacted: Report, assets: ReportAssets = loadReportAssets()): string {
  const report = redactReport(unredacted);
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; font-src data:`;
  const title = escapeHtmlText(`${report.report_name} — ${report.header}`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="pgops-nonce" content="${nonce}">`,
    `<title>${title}</title>`,
    '</head>',
    '<body class="pgops-standalone">',
    '<div id="app"></div>',
    `<script type="application/json" id="${reportDataElementId}">${jsonForHtml(reportView(report))}</script>`,
    `<script nonce="${nonce}">${inlineScript(assets.script)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

import * as path from 'node:path';
import {
  htmlSiblingOf,
  outputFile,
  outputLocation,
  readReport,
  renderReportHtml,
  summarizeReport,
  writeFileAtomic,
} from '../../core/report';
import { PgOpsError } from '../../core/errors';
import type { CliCommand } from '../command';
import { parseFlags, UsageError } from '../command';
import { formatTable } from '../output';

const round = (v: number | null | undefined, d: number) =>
  v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d;

const options = { json: { type: 'boolean' }, out: { type: 'string' } } as const;

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'show a saved benchmark report, or write its self-contained HTML',
  usage:
    'pgops report show FILE [--json]\n       pgops report html FILE [--out DIR|FILE.html]\n' +
    '  FILE is a pgops *.pgperf.json or a pg_perfbench .json report\n' +
    '  --out   the HTML file, or a folder that receives NAME.html (default: beside FILE)',
  options,
  actions: ['show', 'html'],
  run(argv, io) {
    const { values, positionals } = parseFlags(argv, options, true);
    const [action, file] = positionals;
    if (action !== 'show' && action !== 'html')
      throw new UsageError(action ? `unknown report action "${action}"` : 'missing action: show or html');
    if (!file) throw new UsageError('missing the report FILE');
    const full = path.resolve(io.cwd, file);
    const report = readReport(full);
    if (action === 'html') {
      const sibling = htmlSiblingOf(full);
      const out = values.out
        ? outputFile(
            outputLocation(values.out, { flag: '--out', cwd: io.cwd, fileSuffix: '.html' }),
            path.basename(sibling),
          )
        : sibling;
      if (out === full)
        throw new PgOpsError(
          'report.write',
          `--out ${values.out ?? out} is the report itself`,
          'Give the HTML file another name.',
        );
      writeFileAtomic(out, renderReportHtml(report));
      io.out(values.json ? JSON.stringify({ html: out }) : `wrote ${out}`);
      return 0;
    }
    const s = summarizeReport(report);
    const results = report.pgops?.join?.results ?? [{ name: s.name, iterations: s.iterations }];
    if (values.json) {
      io.out(JSON.stringify({ ...s, iterations: undefined, results }));
      return 0;
    }
    const lines = [`${s.name} — ${s.header}`, `when:    ${s.when}`, `status:  ${s.joined ? 'joined' : s.status}`];
    if (s.serverVersion) lines.push(`server:  ${s.serverVersion}`);
    if (s.host) lines.push(`host:    ${s.host}`);
    if (report.pgops?.error) lines.push(`error:   ${report.pgops.error.message}`);
    for (const note of report.pgops?.environmentNotes ?? []) lines.push(`note:    ${note}`);
    const multi = results.length > 1;
    const rows = results.flatMap((r) =>
      r.iterations.map((it) => [
        ...(multi ? [r.name] : []),
        it.value,
        it.clients,
        round(it.tps, 1),
        round(it.latencyAvgMs, 3),
        round(it.latencyStddevMs, 3),
        round(it.percentiles?.p95, 3),
        round(it.percentiles?.p99, 3),
        it.processed,
        it.failed,
        it.status,
      ]),
    );
    lines.push('');
    lines.push(
      rows.length
        ? formatTable(
            [
              ...(multi ? ['report'] : []),
              s.iterName,
              'clients',
              'tps',
              'lat avg ms',
              'stddev ms',
              'p95 ms',
              'p99 ms',
              'processed',
              'failed',
              'status',
            ],
            rows,
          )
        : '(no benchmark results in this report)',
    );
    io.out(lines.join('\n'));
    return 0;
  },
};

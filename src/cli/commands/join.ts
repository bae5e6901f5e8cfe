import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  joinReports,
  loadReportsFromDir,
  outputLocation,
  readJoinTask,
  reportFileAt,
  writeReportFiles,
} from '../../core/report';
import { PgOpsError } from '../../core/errors';
import type { CliCommand } from '../command';
import { parseFlags, requireFlag } from '../command';
import { stderrLogger } from '../output';

/** The task files shipped in media/join-tasks, found next to the bundled CLI (dist/) or from out/ in tests. */
export function bundledJoinTasksDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'media', 'join-tasks');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** A path as given, or the name of a bundled task (with or without .json). */
function resolveTask(task: string, cwd: string): string {
  const given = path.resolve(cwd, task);
  if (fs.existsSync(given)) return given;
  const bundled = bundledJoinTasksDir();
  const named = bundled && [task, `${task}.json`].map((n) => path.join(bundled, n)).find((p) => fs.existsSync(p));
  return named || given;
}

const options = {
  task: { type: 'string' },
  'join-tasks': { type: 'string' },
  'input-dir': { type: 'string' },
  reference: { type: 'string' },
  'reference-report': { type: 'string' },
  'report-name': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const joinCommand: CliCommand = {
  name: 'join',
  summary: 'compare saved benchmark reports (pg_perfbench join tasks) into one merged report',
  usage:
    'pgops join --task T.json --input-dir DIR --report-name NAME [--reference NAME] [--out DIR|FILE.json] [--json]\n' +
    '  --task T.json     a join task file {"description", "items": ["sections.<s>.reports.<item>.data", ...]}: the items that\n' +
    '                    must be equal in all reports; or a bundled task: same-host-different-config,\n' +
    '                    same-config-different-hosts, repeatability\n' +
    '  --input-dir DIR   folder of the reports (*.pgperf.json and pg_perfbench .json); earlier join results are skipped\n' +
    '  --reference NAME  report name or file name of the reference report (default: the first by file name)\n' +
    '  --report-name N   name of the merged report; writes <out>/N.pgperf.json and N.html\n' +
    '  --out DIR|FILE    output folder (default: the input folder), or the merged report FILE.json (HTML beside it)\n' +
    'Exit 1 when a listed item differs: the message names the item, the reference, the differing report and a diff.',
  options,
  run(argv, io) {
    const { values } = parseFlags(argv, options);
    const taskFile = resolveTask(requireFlag(values.task ?? values['join-tasks'], 'task'), io.cwd);
    const inputDir = path.resolve(io.cwd, requireFlag(values['input-dir'], 'input-dir'));
    const reportName = requireFlag(values['report-name'], 'report-name');
    // checked before any report is read: a missing folder of --out FILE.json fails first
    const out = outputLocation(values.out ?? inputDir, { flag: '--out', cwd: io.cwd, fileSuffix: '.json' });
    const log = stderrLogger(io);
    const task = readJoinTask(taskFile);
    const { inputs, skipped } = loadReportsFromDir(inputDir);
    for (const s of skipped) log.info(`skipped ${s.file}: ${s.reason}`);
    const merged = joinReports(inputs, { task, reference: values.reference ?? values['reference-report'], reportName });
    const jsonFile = reportFileAt(out, reportName);
    const overwritten = inputs.find((i) => path.resolve(i.file) === jsonFile);
    if (overwritten) {
      throw new PgOpsError(
        'join.overwrite',
        `--report-name ${reportName} would overwrite the input report ${overwritten.file}`,
        'Choose another --report-name or --out.',
      );
    }
    // the HTML is made before either file is written: a failure leaves no half of the pair behind
    const paths = writeReportFiles(jsonFile, merged, { htmlRequired: true });
    const j = merged.pgops?.join;
    if (values.json) {
      io.out(
        JSON.stringify({
          json: paths.json,
          html: paths.html,
          reports: j?.reports,
          reference: j?.reference,
          matched: j?.matched,
          differing: j?.differing,
        }),
      );
    } else {
      io.out(
        `joined ${inputs.length} reports (reference "${j?.reference}"): ${j?.matched.length} items equal, ${j?.differing.length} differ`,
      );
      for (const d of j?.differing ?? []) io.out(`  differs: ${d}`);
      io.out(`wrote ${paths.json}\nwrote ${paths.html}`);
    }
    return 0;
  },
};

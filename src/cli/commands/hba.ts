import * as path from 'node:path';
import { checkHbaAttempt, lintHba, parseHbaFile, readServerHbaRules } from '../../core/auth/hba';
import type { HbaAttempt } from '../../core/auth/hba';
import type { CliCommand, CliIo } from '../command';
import { intFlag, parseFlags, requireFlag, UsageError } from '../command';
import { openCliSession } from '../conn';

const usage =
  'pgops hba check --file F|--conn C [--ident-file F] --type local|host [--ssl] [--gssenc] [--replication] --database D --user U\n' +
  '                [--address A] [--roles r1,r2] [--system-user NAME] [--pg-version N] [--json]\n' +
  'pgops hba lint --file F [--pg-version N] [--json]\n' +
  '  check        which pg_hba.conf line the server uses for this connection, and its method (exit 1: no line matches)\n' +
  "  --conn C     read the rules from the server's pg_hba_file_rules (URI, conninfo or service=NAME) instead of a file\n" +
  '  --ssl/--gssenc  the TCP connection is encrypted that way;  --replication  a physical replication connection\n' +
  '  --roles      roles the user is a member of, directly or indirectly (for +group and samerole)\n' +
  '  --system-user  OS/external user for a map= lookup in --ident-file (peer: default the current OS user)\n' +
  "  --pg-version the server's major version, 13–18 (default 18): decides regexes, include directives, oauth\n" +
  '  lint         shadowed rules, trust over TCP, password/md5, wide addresses, oauth without validator\n' +
  '               (exit 1 when the server would refuse the file or a finding is an error)';

function major(value: string | undefined): number {
  const n = intFlag(value, 'pg-version', 18);
  if (n < 13 || n > 18) throw new UsageError(`--pg-version must be between 13 and 18, got ${n}`);
  return n;
}

const checkOptions = {
  file: { type: 'string' },
  conn: { type: 'string' },
  'ident-file': { type: 'string' },
  type: { type: 'string' },
  ssl: { type: 'boolean' },
  gssenc: { type: 'boolean' },
  replication: { type: 'boolean' },
  database: { type: 'string' },
  user: { type: 'string' },
  address: { type: 'string' },
  roles: { type: 'string' },
  'system-user': { type: 'string' },
  'pg-version': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const lintOptions = { file: { type: 'string' }, 'pg-version': { type: 'string' }, json: { type: 'boolean' } } as const;

async function check(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, checkOptions);
  const type = requireFlag(values.type, 'type');
  if (type !== 'local' && type !== 'host') throw new UsageError(`--type must be local or host, got "${type}"`);
  if (type === 'local' && (values.ssl || values.gssenc || values.address))
    throw new UsageError('--ssl, --gssenc and --address apply to --type host only');
  const attempt: HbaAttempt = {
    connection: type,
    ssl: !!values.ssl,
    gssenc: !!values.gssenc,
    database: requireFlag(values.database, 'database'),
    user: requireFlag(values.user, 'user'),
    address: type === 'host' ? requireFlag(values.address, 'address') : undefined,
    replication: values.replication ? 'physical' : undefined,
    memberOf:
      values.roles === undefined
        ? []
        : values.roles
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
  };
  if (!values.file === !values.conn) throw new UsageError('give either --file or --conn');
  const common = {
    identFile: values['ident-file'] && path.resolve(io.cwd, values['ident-file']),
    major: major(values['pg-version']),
    attempt,
    systemUser: values['system-user'],
  };
  let result;
  if (values.conn) {
    const { client } = await openCliSession(values.conn, io);
    try {
      result = await checkHbaAttempt({ ...common, server: await readServerHbaRules(client) });
    } finally {
      await client.end();
    }
  } else {
    result = await checkHbaAttempt({ ...common, file: path.resolve(io.cwd, requireFlag(values.file, 'file')) });
  }
  if (values.roles === undefined)
    result.notes.push('no --roles given: the user is taken to be a member of no other role (+group, samerole)');
  if (values.json) {
    io.out(JSON.stringify(result));
    return result.outcome === 'matched' ? 0 : 1;
  }
  result.notes.unshift(result.source);
  if (result.outcome !== 'matched') {
    io.err(`pgops hba: ${result.summary}\n${result.nextStep}${result.notes.map((n) => `\nnote: ${n}`).join('')}`);
    return 1;
  }
  const where = result.ruleFile === result.file ? '' : ` of ${result.ruleFile}`;
  const opts = Object.entries(result.options)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const lines = [
    `line ${result.line}${where}: ${result.method}${opts ? `  (${opts})` : ''}`,
    `  ${result.rawLine}`,
    result.nextStep,
  ];
  if (result.ident) {
    lines.push(
      result.ident.line === null
        ? `pg_ident map "${result.ident.map}" has no line letting "${result.ident.systemUser}" log in as "${attempt.user}"`
        : `pg_ident map "${result.ident.map}": line ${result.ident.line} lets "${result.ident.systemUser}" log in as "${attempt.user}"`,
    );
  }
  lines.push(...result.notes.map((n) => `note: ${n}`));
  io.out(lines.join('\n'));
  return 0;
}

function lint(argv: string[], io: CliIo): number {
  const { values } = parseFlags(argv, lintOptions);
  const file = path.resolve(io.cwd, requireFlag(values.file, 'file'));
  const pgMajor = major(values['pg-version']);
  const findings = lintHba(parseHbaFile(file, { traits: { major: pgMajor } }));
  if (values.json) {
    io.out(JSON.stringify({ file, findings }));
  } else {
    io.out(
      findings.length === 0
        ? `${file}: no findings`
        : findings.map((f) => `${f.file}:${f.line}: ${f.severity} [${f.code}] ${f.message}`).join('\n'),
    );
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  // the findings are the output; the failure is also said once on stderr, naming the file
  if (errors > 0)
    io.err(
      `pgops hba lint: ${file}: ${errors} error${errors > 1 ? 's' : ''} (a parse error means the server refuses the file)`,
    );
  return errors > 0 ? 1 : 0;
}

export const hbaCommand: CliCommand = {
  name: 'hba',
  summary: 'check which pg_hba.conf line a connection matches, and lint pg_hba.conf',
  usage,
  options: { ...checkOptions, ...lintOptions },
  actions: ['check', 'lint'],
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action === 'check') return await check(rest, io);
    if (action === 'lint') return lint(rest, io);
    throw new UsageError(action ? `unknown hba action "${action}"` : 'missing action: check or lint');
  },
};

import * as readline from 'node:readline/promises';
import { describeError, PgOpsError } from '../core/errors';
import { redactText } from '../core/redact';
import { toolVersion } from '../core/version';
import type { CliCommand, CliIo } from './command';
import { UsageError } from './command';
import { sandboxCommand } from './commands/sandbox';
import { hbaCommand } from './commands/hba';
import { benchCommand } from './commands/bench';
import { bloatCommand } from './commands/bloat';
import { slotsCommand } from './commands/slots';
import { statsCommand } from './commands/stats';
import { waitsCommand } from './commands/waits';
import { activityCommand } from './commands/activity';
import { cancelCommand, terminateCommand } from './commands/signal';
import { healthCommand } from './commands/health';
import { progressCommand } from './commands/progress';
import { fixCommand } from './commands/fix';
import { joinCommand } from './commands/join';
import { compareCommand } from './commands/compare';
import { clusterCommand } from './commands/cluster';
import { drillCommand } from './commands/drill';
import { reportCommand } from './commands/report';
import { connCommand } from './commands/conn';
import { completionCommand } from './commands/completion';
import { terminalSafe } from './output';

/** Every subcommand, in the order `pgops --help` lists them. */
export const commands: CliCommand[] = [
  sandboxCommand,
  statsCommand,
  slotsCommand,
  bloatCommand,
  waitsCommand,
  activityCommand,
  cancelCommand,
  terminateCommand,
  healthCommand,
  progressCommand,
  fixCommand,
  benchCommand,
  joinCommand,
  compareCommand,
  clusterCommand,
  drillCommand,
  reportCommand,
  hbaCommand,
  connCommand,
  completionCommand(() => commands),
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'pgops — PostgreSQL operations and diagnostics (the engine of the Postgres Ops VS Code extension)',
    '',
    'Usage: pgops <command> [options]   (pgops <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 success, 1 failure (one message on stderr), 2 bad usage.',
  ].join('\n');
}

/**
 * Every line the CLI prints goes through here: nothing read from a file or a server can drive the terminal,
 * and stderr (progress, logs and errors, which may quote server text) is redacted.
 */
export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const ask = rawIo.ask;
  const io: CliIo = {
    ...rawIo,
    out: (t) => rawIo.out(terminalSafe(t)),
    err: (t) => rawIo.err(terminalSafe(redactText(t))),
    ask: ask && ((q) => ask(terminalSafe(redactText(q)))),
  };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out(toolVersion);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`pgops: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  // -h followed by a value is psql's host; alone at the end it still asks for help
  if (rest.includes('--help') || rest[rest.length - 1] === '-h') {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pgops ${name}: ${err.message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    io.err(`pgops ${name}: ${describeError(err)}`);
    if (!PgOpsError.is(err) && io.env.PGOPS_VERBOSE && err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}

/** One question on the terminal: the prompt on stderr, so stdout stays the command's output. */
async function askOnTerminal(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

if (require.main === module) {
  const io: CliIo = {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    cwd: process.cwd(),
    ask: process.stdin.isTTY ? askOnTerminal : undefined,
    errIsTerminal: process.stderr.isTTY,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`pgops: ${terminalSafe(redactText(describeError(err)))}\n`);
      process.exitCode = 1;
    },
  );
}

import type { BackendSignal } from '../../core/ops/signal';
import {
  cancelBackend,
  isBackendPid,
  signalTarget,
  signalTargetText,
  signalWords,
  terminateBackend,
} from '../../core/ops/signal';
import type { CliCommand } from '../command';
import { confirmAction, parseFlags, requireFlag, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';

const options = { ...connFlags, pid: { type: 'string' }, yes: { type: 'boolean' } } as const;

function pidFlag(value: string | undefined): number {
  const text = requireFlag(value, 'pid');
  const pid = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!isBackendPid(pid)) throw new UsageError(`--pid must be a process id (a positive integer), got "${text}"`);
  return pid;
}

const summaries: Record<BackendSignal, string> = {
  cancel: "cancel a client session's running statement (pg_cancel_backend); the session stays connected",
  terminate: 'end a client session (pg_terminate_backend); its open transaction rolls back',
};

function signalCommand(signal: BackendSignal): CliCommand {
  const w = signalWords[signal];
  return {
    name: signal,
    summary: summaries[signal],
    usage:
      `pgops ${signal} --pid N [--conn C] [--yes] [--hba-file F]\n` +
      '  --pid N   the session (a client backend of that server; pgops activity lists them); never our own\n' +
      '  --yes     do it without asking; without --yes pgops asks when stdin is a terminal and refuses otherwise\n' +
      '  Exit 1 when the pid is not a client backend of that server, or the server refuses (the privilege\n' +
      '  needed is named: the same role, or pg_signal_backend).\n' +
      connFlagsUsage,
    options,
    async run(argv, io) {
      const { values } = parseFlags(argv, options);
      const pid = pidFlag(values.pid);
      // refuse before connecting: there is nobody to ask
      if (!values.yes && !io.ask)
        throw new UsageError(`${w.question} PID ${pid}: stdin is not a terminal to ask on; pass --yes to confirm`);
      const { client } = await openCliSessionFrom(values, io);
      try {
        if (!values.yes) {
          const t = await signalTarget(client, pid);
          const { who, statement } = signalTargetText(t);
          if (statement) io.err(`${who} runs: ${statement}`);
          if (!(await confirmAction(io, `${w.question} ${who}`, '--yes'))) {
            io.err(`pgops ${signal}: not confirmed; PID ${pid} left alone`);
            return 1;
          }
        }
        const sent = signal === 'cancel' ? await cancelBackend(client, pid) : await terminateBackend(client, pid);
        if (!sent) {
          io.err(`pgops ${signal}: the server did not signal PID ${pid}; it may have ended meanwhile`);
          return 1;
        }
        io.out(`${w.done} PID ${pid}`);
        return 0;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

export const cancelCommand = signalCommand('cancel');
export const terminateCommand = signalCommand('terminate');

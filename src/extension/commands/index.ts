import * as vscode from 'vscode';
import type { CommandId } from '../commandIds';
import type { ExtensionServices } from '../context';
import { showError } from '../ui';
import { activityCommands } from './activity';
import { reportsCommands } from './reports';
import { benchCommands } from './bench';
import { diagCommands } from './diag';
import { hbaCommands } from './hba';
import { connectionCommands } from './connections';
import { fixCommands } from './fix';
import { clusterCommands } from './cluster';

export type Handler = (...args: unknown[]) => unknown;
/** A feature's part of the table; each feature keeps its handlers in its own file under commands/. */
export type CommandGroup = Partial<Record<CommandId, Handler>>;

/**
 * The one table of commands: every contributed command id maps to its handler here.
 * Typed by CommandId, so an id without a handler (or a handler without an id) does not compile.
 */
export function commandTable(s: ExtensionServices): Record<CommandId, Handler> {
  const table: Record<CommandId, Handler> = {
    ...coreCommands(s),
    ...connectionCommands(s),
    ...reportsCommands(s),
    ...benchCommands(s),
    ...diagCommands(s),
    ...hbaCommands(s),
    ...activityCommands(s),
    ...fixCommands(s),
    ...clusterCommands(s),
  };
  return table;
}

/** Each group returns a literal object `satisfies CommandGroup`, so unknown ids are caught there. */
function coreCommands(s: ExtensionServices) {
  return {
    'pgops.startSandbox': async () => {
      const info = await s.sandbox.start();
      const profile = s.profiles.get('sandbox');
      if (profile) await s.sessions.connect(profile);
      s.activeConnection.refresh();
      return info;
    },
    'pgops.stopSandbox': () => s.sandbox.stop(true),
    'pgops.resetSandbox': async () => {
      const answer = await vscode.window.showWarningMessage(
        'Delete the local sandbox and all its data?',
        {
          modal: true,
          detail:
            'The server is stopped and its data directory removed. A new, empty sandbox is created on the next start.',
        },
        'Delete Sandbox Data',
      );
      if (answer === 'Delete Sandbox Data') await s.sandbox.reset();
    },
    'pgops.showLogs': () => s.logChannel.show(),
  } satisfies CommandGroup;
}

export function registerCommands(s: ExtensionServices): vscode.Disposable[] {
  const table = commandTable(s);
  return Object.entries(table).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (err) {
        await showError(err, s.logger, commandTitle(id));
        return undefined;
      }
    }),
  );
}

function commandTitle(id: string): string {
  const pkg = (vscode.extensions.getExtension('pgops.pgops')?.packageJSON ?? {}) as {
    contributes?: { commands?: Array<{ command: string; title: string }> };
  };
  return pkg.contributes?.commands?.find((c) => c.command === id)?.title ?? id;
}

import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../core/conn/profile';
import type { CommandId } from '../commandIds';
import type { ExtensionServices } from '../context';
import { showError } from '../ui';
import { ProfileNode } from '../views/connectionsView';
import { reportsCommands } from './reports';
import { benchCommands } from './bench';
import { diagCommands } from './diag';
import { hbaCommands } from './hba';

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
    ...reportsCommands(s),
    ...benchCommands(s),
    ...diagCommands(s),
    ...hbaCommands(s),
  };
  return table;
}

/** Each group returns a literal object `satisfies CommandGroup`, so unknown ids are caught there. */
function coreCommands(s: ExtensionServices) {
  return {
    'pgops.addConnection': () => addConnection(s),
    'pgops.removeConnection': (node) => removeConnection(s, profileOf(s, node)),
    'pgops.connect': async (node) => {
      const profile = profileOf(s, node) ?? (await pickProfile(s));
      if (profile) await s.sessions.connect(profile);
    },
    'pgops.disconnect': async (node) => {
      const profile = profileOf(s, node) ?? (await pickProfile(s));
      if (profile) await s.sessions.disconnect(profile.id);
    },
    'pgops.refreshConnections': () => s.views.connections.refresh(),
    'pgops.startSandbox': async () => {
      const info = await s.sandbox.start();
      const profile = s.profiles.get('sandbox');
      if (profile) await s.sessions.connect(profile);
      return info;
    },
    'pgops.stopSandbox': () => s.sandbox.stop(true),
    'pgops.resetSandbox': async () => {
      const answer = await vscode.window.showWarningMessage('Delete the local sandbox and all its data?', { modal: true, detail: 'The server is stopped and its data directory removed. A new, empty sandbox is created on the next start.' }, 'Delete Sandbox Data');
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
    }));
}

function commandTitle(id: string): string {
  const pkg = (vscode.extensions.getExtension('pgops.pgops')?.packageJSON ?? {}) as { contributes?: { commands?: Array<{ command: string; title: string }> } };
  return pkg.contributes?.commands?.find((c) => c.command === id)?.title ?? id;
}

function profileOf(s: ExtensionServices, node: unknown): ConnectionProfile | undefined {
  if (node instanceof ProfileNode) return node.profile;
  if (typeof node === 'string') return s.profiles.get(node);
  return undefined;
}

async function pickProfile(s: ExtensionServices): Promise<ConnectionProfile | undefined> {
  const items = s.profiles.all().map((p) => ({ label: p.name, profile: p }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No connection profiles yet: add one or start the local sandbox.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: 'Choose a connection' }))?.profile;
}

async function addConnection(s: ExtensionServices): Promise<void> {
  const name = await vscode.window.showInputBox({ title: 'Add Connection (1/5): name', prompt: 'Shown in the Connections view', validateInput: (v) => (v.trim() ? (s.profiles.all().some((p) => p.name === v.trim()) ? 'A profile with this name exists' : undefined) : 'Enter a name') });
  if (!name) return;
  const host = await vscode.window.showInputBox({ title: 'Add Connection (2/5): host', prompt: 'Host name, address, or a Unix-socket directory starting with /', value: 'localhost' });
  if (host === undefined) return;
  const port = await vscode.window.showInputBox({ title: 'Add Connection (3/5): port', value: '5432', validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'Enter a port between 1 and 65535') });
  if (port === undefined) return;
  const user = await vscode.window.showInputBox({ title: 'Add Connection (4/5): user', value: process.env.PGUSER ?? '' });
  if (user === undefined) return;
  const dbname = await vscode.window.showInputBox({ title: 'Add Connection (5/5): database', value: user });
  if (dbname === undefined) return;
  const where = vscode.workspace.workspaceFolders?.length
    ? await vscode.window.showQuickPick([{ label: 'User settings', target: vscode.ConfigurationTarget.Global }, { label: 'Workspace settings (shared with the team)', target: vscode.ConfigurationTarget.Workspace }], { title: 'Save the profile in' })
    : { target: vscode.ConfigurationTarget.Global };
  if (!where) return;
  await s.profiles.add({ name: name.trim(), host: host || undefined, port: Number(port), user: user || undefined, dbname: dbname || undefined }, where.target);
}

async function removeConnection(s: ExtensionServices, profile: ConnectionProfile | undefined): Promise<void> {
  if (!profile) return;
  const answer = await vscode.window.showWarningMessage(`Remove the connection "${profile.name}"?`, { modal: true, detail: 'The profile is removed from settings; the server is not touched.' }, 'Remove');
  if (answer !== 'Remove') return;
  await s.sessions.disconnect(profile.id);
  await s.profiles.remove(profile);
}

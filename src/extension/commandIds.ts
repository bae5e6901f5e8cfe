/**
 * Every command the extension contributes. Kept free of `vscode` so a plain-node test can
 * compare it with package.json; the handler table in commands.ts is typed by it, so a
 * command without a handler does not compile.
 */
export const commandIds = [
  'pgops.addConnection',
  'pgops.removeConnection',
  'pgops.connect',
  'pgops.disconnect',
  'pgops.refreshConnections',
  'pgops.startSandbox',
  'pgops.stopSandbox',
  'pgops.resetSandbox',
  'pgops.showLogs',
] as const;

export type CommandId = (typeof commandIds)[number];

import * as vscode from 'vscode';
import type { ConnectionProfile } from '../core/conn/profile';
import { confirmationMatches, needsTypedConfirmation } from '../core/conn/production';
import { CancelledError } from '../core/errors';

export interface WriteConfirmation {
  /** What the action changes, in a sentence or a list ("CHECKPOINT before each iteration; …"). */
  detail?: string;
  /**
   * Ask only on production profiles: for a command whose whole purpose is the write the user just
   * started (Run pgbench Sweep), where a yes/no on every other profile would only be noise.
   */
  onlyProduction?: boolean;
  /** The closing line of the modal; default "This writes to the server." (a signal says so instead). */
  effect?: string;
  /** What a production profile's user types, and what it is: default the profile's name; a cluster's scope for HA actions. */
  typed?: { name: string; what: string };
}

/**
 * The one way the extension asks before an action that writes to or signals a server (reset stats,
 * drop a slot, a pgbench sweep — its init, workload, CHECKPOINT and resets — and any such action added
 * later). A production profile needs its name typed; any other profile gets a modal yes/no unless
 * `onlyProduction`. `action` reads as a sentence fragment: "reset pg_stat_statements", "drop slot \"s1\"".
 * Returns true only when the user confirmed.
 */
export async function confirmWrite(
  profile: ConnectionProfile,
  action: string,
  opts: WriteConfirmation = {},
): Promise<boolean> {
  if (!needsTypedConfirmation(profile)) {
    if (opts.onlyProduction) return true;
    const go = 'Continue';
    const effect = opts.effect ?? 'This writes to the server.';
    const detail = opts.detail ? `${opts.detail}\n\n${effect}` : effect;
    const answer = await vscode.window.showWarningMessage(
      `${capitalize(action)} on "${profile.name}"?`,
      { modal: true, detail },
      go,
    );
    return answer === go;
  }
  const expected = { name: opts.typed?.name ?? profile.name };
  const what = opts.typed?.what ?? 'its name';
  const typed = await vscode.window.showInputBox({
    title: `Production connection "${profile.name}": ${action}`,
    prompt: `"${profile.name}" is marked as production.${opts.detail ? ` ${capitalize(opts.detail)}.` : ''} Type ${what} to ${action}.`,
    placeHolder: expected.name,
    ignoreFocusOut: true,
    validateInput: (v) =>
      v === '' || confirmationMatches(expected, v)
        ? undefined
        : `Type "${expected.name}" exactly to continue, or press Escape.`,
  });
  return confirmationMatches(expected, typed);
}

/** confirmWrite for handlers that simply stop when the user declines: throws CancelledError (shown as "cancelled", not as an error). */
export async function requireWriteConfirmation(
  profile: ConnectionProfile,
  action: string,
  opts: WriteConfirmation = {},
): Promise<void> {
  if (!(await confirmWrite(profile, action, opts)))
    throw new CancelledError(`${action} on "${profile.name}": not confirmed`);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

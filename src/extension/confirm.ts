import * as vscode from 'vscode';
import type { ConnectionProfile } from '../core/conn/profile';
import { confirmationMatches, needsTypedConfirmation } from '../core/conn/production';
import { CancelledError } from '../core/errors';

/**
 * Asks before an action that writes to a server (reset stats, drop a slot, pgbench init…).
 * A production profile needs its name typed; any other profile gets a modal yes/no.
 * `action` reads as a sentence fragment: "reset pg_stat_statements", "drop slot \"s1\"".
 * Returns true only when the user confirmed.
 */
export async function confirmWrite(profile: ConnectionProfile, action: string): Promise<boolean> {
  if (!needsTypedConfirmation(profile)) {
    const go = 'Continue';
    const answer = await vscode.window.showWarningMessage(`${capitalize(action)} on "${profile.name}"?`, { modal: true, detail: 'This writes to the server.' }, go);
    return answer === go;
  }
  const typed = await vscode.window.showInputBox({
    title: `Production connection "${profile.name}": ${action}`,
    prompt: `"${profile.name}" is marked as production. Type its name to ${action}.`,
    placeHolder: profile.name,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' || confirmationMatches(profile, v) ? undefined : `Type "${profile.name}" exactly to continue, or press Escape.`),
  });
  return confirmationMatches(profile, typed);
}

/** confirmWrite for handlers that simply stop when the user declines: throws CancelledError (shown as "cancelled", not as an error). */
export async function requireWriteConfirmation(profile: ConnectionProfile, action: string): Promise<void> {
  if (!(await confirmWrite(profile, action))) throw new CancelledError(`${action} on "${profile.name}": not confirmed`);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

import * as vscode from 'vscode';
import type { ConnectionProfile } from '../core/conn/profile';
import type { ProfileStore } from './profiles';
import type { SessionManager, SessionState } from './sessions';
import { ProfileNode } from './views/connectionsView';

const stateIcons: Record<SessionState['kind'], string> = {
  connected: '$(database)',
  connecting: '$(loading~spin)',
  failed: '$(error)',
  disconnected: '$(debug-disconnect)',
};

/**
 * The profile a command works on: the Connections row it was run from, a profile id or name passed by a
 * caller (keybindings, tests), else the user's choice in a quick pick that shows each profile's state
 * (`only` narrows it to profiles in some states, e.g. connected ones for Disconnect).
 * The one profile picker of the extension: every command that needs a connection asks through it.
 */
export async function pickProfile(
  s: { profiles: ProfileStore; sessions: SessionManager },
  arg: unknown,
  title: string,
  only?: { states: Array<SessionState['kind']>; noneMessage: string },
): Promise<ConnectionProfile | undefined> {
  if (arg instanceof ProfileNode) return arg.profile;
  if (typeof arg === 'string') return s.profiles.get(arg) ?? s.profiles.all().find((p) => p.name === arg);
  const all = s.profiles.all();
  const profiles = only ? all.filter((p) => only.states.includes(s.sessions.state(p.id).kind)) : all;
  if (profiles.length === 0) {
    void vscode.window.showInformationMessage(
      all.length && only ? only.noneMessage : 'No connection profiles yet: add one or start the local sandbox.',
    );
    return undefined;
  }
  const items = profiles.map((p) => {
    const state = s.sessions.state(p.id).kind;
    const notes = [
      p.id === s.sessions.activeProfileId && state === 'connected' ? 'active' : state,
      p.production ? 'production' : '',
      p.sandbox ? 'sandbox' : '',
    ];
    return { label: `${stateIcons[state]} ${p.name}`, description: notes.filter(Boolean).join(' · '), profile: p };
  });
  return (await vscode.window.showQuickPick(items, { title: `${title}: choose a connection` }))?.profile;
}

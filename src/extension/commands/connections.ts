import * as vscode from 'vscode';
import type { ProfileAuthPlan } from '../../core/conn/authPlanFor';
import type { ConnectionProfile } from '../../core/conn/profile';
import { profileFromInput, profileParams, resolveProfile } from '../../core/conn/profile';
import type { OAuthParams } from '../../core/auth/oauth/connect';
import { oauthParamsFromKeywords } from '../../core/auth/oauth/connect';
import { parseConnString } from '../../core/conn/conninfo';
import { describeSessionInfo, suggestProfileName } from '../../core/conn/sessionReport';
import { PgOpsError } from '../../core/errors';
import type { ExtensionServices } from '../context';
import { pickProfile } from '../profilePicker';
import { toAbortSignal } from '../ui';
import type { CommandGroup } from './index';

/** Add / Edit / Remove / Duplicate / Test Connection, Connect / Disconnect. */
export function connectionCommands(s: ExtensionServices) {
  return {
    'pgops.addConnection': () => addConnection(s),
    'pgops.editConnection': async (node) => {
      const p = await pickProfile(s, node, 'Edit Connection');
      if (p) await editConnection(s, p);
    },
    'pgops.removeConnection': async (node) => {
      const p = await pickProfile(s, node, 'Remove Connection');
      if (p) await removeConnection(s, p);
    },
    'pgops.duplicateConnection': async (node) => {
      const p = await pickProfile(s, node, 'Duplicate Connection');
      if (p) await duplicateConnection(s, p);
    },
    'pgops.testConnection': async (node) => {
      const p = await pickProfile(s, node, 'Test Connection');
      if (p) return testConnection(s, p);
      return undefined;
    },
    'pgops.explainAuth': async (node) => {
      const p = await pickProfile(s, node, 'Explain Authentication');
      if (p) return explainAuth(s, p);
      return undefined;
    },
    'pgops.connect': async (node) => {
      const p = await pickProfile(s, node, 'Connect');
      if (p) await connect(s, p);
    },
    'pgops.disconnect': async (node) => {
      const p = await pickProfile(s, node, 'Disconnect', {
        states: ['connected', 'connecting', 'failed'],
        noneMessage: 'No connection is open.',
      });
      if (p) await s.sessions.disconnect(p.id);
    },
    'pgops.refreshConnections': () => s.views.connections.refresh(),
  } satisfies CommandGroup;
}

/** Connects (or, when connected already, makes it the active connection) and points the views at it. */
async function connect(s: ExtensionServices, p: ConnectionProfile): Promise<void> {
  await vscode.window.withProgress({ location: { viewId: 'pgops.connections' } }, () => s.sessions.connect(p));
  s.activeConnection.refresh();
  for (const view of [s.views.queryStats, s.views.replication, s.views.bloat]) view.invalidate();
}

const inputPrompt =
  'Paste a URI (postgresql://user@host:5432/db?sslmode=verify-full), keyword=value pairs, service=NAME — or type a host name';

/** Checks what the user pasted the way libpq would, so mistakes show while typing. */
function validateConnInput(v: string): string | undefined {
  if (!v.trim()) return 'Enter a connection string, service=NAME or a host';
  try {
    profileFromInput(v);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function addConnection(s: ExtensionServices): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: 'Add Connection (1/4): where',
    prompt: inputPrompt,
    ignoreFocusOut: true,
    validateInput: validateConnInput,
  });
  if (!text) return;
  const input = profileFromInput(text);
  let conninfo = input.conninfo;
  if (!text.includes('=') && !/^postgres(ql)?:\/\//.test(text.trim())) {
    const rest = await vscode.window.showInputBox({
      title: 'Add Connection (1/4): more keywords (optional)',
      prompt: 'e.g. port=5432 user=app dbname=app sslmode=verify-full — empty for libpq defaults',
      value: '',
      validateInput: (v) => (v.trim() ? validateConnInput(`${conninfo} ${v}`) : undefined),
    });
    if (rest === undefined) return;
    if (rest.trim()) conninfo = `${conninfo} ${rest.trim()}`;
  }
  const name = await vscode.window.showInputBox({
    title: 'Add Connection (2/4): name',
    prompt: 'Shown in the Connections view',
    value: suggestProfileName(parseConnString(conninfo)),
    ignoreFocusOut: true,
    validateInput: (v) =>
      !v.trim()
        ? 'Enter a name'
        : s.profiles.all().some((p) => p.name === v.trim())
          ? 'A profile with this name exists'
          : undefined,
  });
  if (!name) return;
  const production = await askProduction(false);
  if (production === undefined) return;
  const where = await askScope();
  if (!where) return;
  const profile = { name: name.trim(), conninfo, production };
  await s.profiles.add(profile, where);
  const saved = s.profiles.all().find((p) => p.name === profile.name);
  if (saved) await keepPastedSecrets(s, saved, input);
  if (
    saved &&
    (await vscode.window.showInformationMessage(
      `Connection "${profile.name}" added.`,
      'Test Connection',
      'Connect',
    )) === 'Connect'
  )
    await connect(s, saved);
  else if (saved) await testConnection(s, saved);
}

/** Secrets that came with pasted text go to Secret Storage; the user is told, since they left the text. */
type PastedSecrets = { password?: string; oauthClientSecret?: string };

async function keepPastedSecrets(s: ExtensionServices, p: ConnectionProfile, input: PastedSecrets): Promise<void> {
  const kept: string[] = [];
  if (input.password !== undefined) {
    await s.sessions.secrets.set(p, input.password);
    kept.push('password');
  }
  if (input.oauthClientSecret !== undefined) {
    await s.sessions.secrets.set(p, input.oauthClientSecret, 'oauthClientSecret');
    kept.push('OAuth client secret');
  }
  if (kept.length)
    void vscode.window.showInformationMessage(
      `The ${kept.join(' and ')} from the pasted text ${kept.length > 1 ? 'are' : 'is'} stored in Secret Storage for "${p.name}", not in settings.`,
    );
}

async function askProduction(current: boolean): Promise<boolean | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Not production', production: false, picked: !current },
      {
        label: '$(warning) Production',
        description: 'type the connection name before any action that writes',
        production: true,
        picked: current,
      },
    ],
    { title: 'Add Connection (3/4): is this a production server?' },
  );
  return pick?.production;
}

async function askScope(): Promise<vscode.ConfigurationTarget | undefined> {
  if (!vscode.workspace.workspaceFolders?.length || !vscode.workspace.isTrusted)
    return vscode.ConfigurationTarget.Global;
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'User settings', target: vscode.ConfigurationTarget.Global },
      {
        label: 'Workspace settings',
        description: 'shared with the team (no secrets are written)',
        target: vscode.ConfigurationTarget.Workspace,
      },
    ],
    { title: 'Add Connection (4/4): save the profile in' },
  );
  return pick?.target;
}

async function editConnection(s: ExtensionServices, p: ConnectionProfile): Promise<void> {
  if (p.sandbox)
    throw new PgOpsError(
      'profile-sandbox',
      'The local sandbox profile is managed by pgops',
      'Use Start/Stop/Reset Local Sandbox instead.',
    );
  const hasSecret = await s.sessions.secrets.has(p);
  const oauth = oauthParamsOf(p);
  const hasClientSecret = oauth ? await s.sessions.secrets.has(p, 'oauthClientSecret') : false;
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(link) Connection string', description: p.conninfo ?? '(fields only)', action: 'conninfo' },
      { label: '$(edit) Name', description: p.name, action: 'name' },
      {
        label: p.production ? '$(warning) Production: yes' : 'Production: no',
        description: 'toggle',
        action: 'production',
      },
      {
        label: '$(key) Set password',
        description: hasSecret ? 'replace the one in Secret Storage' : 'store in Secret Storage',
        action: 'password',
      },
      ...(hasSecret
        ? [
            {
              label: '$(trash) Clear stored password',
              description: 'use ~/.pgpass, PGPASSWORD or a prompt instead',
              action: 'clear',
            },
          ]
        : []),
      {
        label: '$(terminal) Password command',
        description: p.passwordCommand ? p.passwordCommand.join(' ') : 'none',
        action: 'command',
      },
      ...(oauth
        ? [
            {
              label: '$(shield) Set OAuth client secret',
              description: hasClientSecret
                ? `replace the one in Secret Storage (client ${oauth.clientId})`
                : `for a confidential client (${oauth.clientId}); stored in Secret Storage`,
              action: 'clientSecret',
            },
            ...(hasClientSecret
              ? [
                  {
                    label: '$(trash) Clear OAuth client secret',
                    description: 'act as a public client',
                    action: 'clearClientSecret',
                  },
                ]
              : []),
            {
              label: '$(sign-out) Forget OAuth tokens',
              description: `sign in again at ${oauth.issuer} on the next connection`,
              action: 'forgetTokens',
            },
          ]
        : []),
    ],
    { title: `Edit Connection "${p.name}"` },
  );
  if (!pick) return;
  const { id: _id, sandbox: _sandbox, ...current } = p;
  let next = { ...current };
  let pasted: PastedSecrets | undefined;
  switch (pick.action) {
    case 'conninfo': {
      const v = await vscode.window.showInputBox({
        title: `Connection string of "${p.name}"`,
        prompt: inputPrompt,
        value: p.conninfo ?? '',
        validateInput: validateConnInput,
        ignoreFocusOut: true,
      });
      if (v === undefined) return;
      const input = profileFromInput(v);
      next = {
        ...next,
        conninfo: input.conninfo,
        host: undefined,
        port: undefined,
        user: undefined,
        dbname: undefined,
      };
      pasted = input;
      break;
    }
    case 'name': {
      const v = await vscode.window.showInputBox({
        title: 'New name',
        value: p.name,
        validateInput: (x) =>
          !x.trim()
            ? 'Enter a name'
            : x.trim() !== p.name && s.profiles.all().some((o) => o.name === x.trim())
              ? 'A profile with this name exists'
              : undefined,
      });
      if (!v || v.trim() === p.name) return;
      next.name = v.trim();
      break;
    }
    case 'production':
      next.production = !p.production;
      break;
    case 'password': {
      const v = await vscode.window.showInputBox({
        title: `Password for "${p.name}"`,
        prompt: 'Stored in VS Code Secret Storage (the OS keychain), never in settings',
        password: true,
        ignoreFocusOut: true,
      });
      if (v !== undefined) await s.sessions.secrets.set(p, v);
      return;
    }
    case 'clear':
      await s.sessions.secrets.delete(p);
      return;
    case 'clientSecret': {
      const v = await vscode.window.showInputBox({
        title: `OAuth client secret for "${p.name}"`,
        prompt: 'oauth_client_secret of a confidential client: stored in VS Code Secret Storage, never in settings',
        password: true,
        ignoreFocusOut: true,
      });
      if (v === undefined) return;
      await s.sessions.secrets.set(p, v, 'oauthClientSecret');
      await s.sessions.disconnect(p.id);
      return;
    }
    case 'clearClientSecret':
      await s.sessions.secrets.delete(p, 'oauthClientSecret');
      await s.sessions.disconnect(p.id);
      return;
    case 'forgetTokens':
      await s.sessions.forgetOAuthTokens(p);
      void vscode.window.showInformationMessage(
        `"${p.name}": OAuth tokens forgotten; the next connection signs in again.`,
      );
      return;
    case 'command': {
      const v = await vscode.window.showInputBox({
        title: `Password command for "${p.name}"`,
        prompt:
          'JSON list: program and arguments, run without a shell; it prints the password or token. Empty to remove.',
        value: p.passwordCommand
          ? JSON.stringify(p.passwordCommand)
          : '["vault", "kv", "get", "-field=password", "secret/db"]',
        validateInput: validateArgv,
      });
      if (v === undefined) return;
      next.passwordCommand = v.trim() ? (JSON.parse(v) as string[]) : undefined;
      break;
    }
  }
  await s.sessions.disconnect(p.id);
  await s.profiles.update(p.name, next);
  const saved = s.profiles.all().find((o) => o.name === next.name);
  if (saved) await carrySecrets(s, p, saved, pasted);
}

/**
 * After an edit the stored secrets follow the profile: without a question while it points at the same user,
 * hosts and ports (a rename, a new database), after one when it points elsewhere now. Unless kept, they stay
 * bound to the old server, which they can reach only if the profile points there again.
 */
async function carrySecrets(
  s: ExtensionServices,
  before: ConnectionProfile,
  after: ConnectionProfile,
  pasted?: PastedSecrets,
): Promise<void> {
  const secrets = s.sessions.secrets;
  const stored = await secrets.hasAny(before);
  if (stored && pasted?.password === undefined && secrets.targetChanged(before, after)) {
    const keep = 'Keep for the New Server';
    const question = `"${after.name}" now connects to ${secrets.where(after)} instead of ${secrets.where(before)}. Keep its stored password?`;
    const detail =
      'Keep it only if the new address reaches the same database and you trust it with the password. ' +
      'Otherwise pgops asks for the password on the next connection.';
    const answer = await vscode.window.showWarningMessage(question, { modal: true, detail }, keep);
    if (answer === keep) await secrets.copy(before, after, true);
  } else if (stored) {
    await secrets.copy(before, after, true);
  }
  if (pasted) await keepPastedSecrets(s, after, pasted);
}

/** The profile's oauth_* keywords (from its conninfo or service file, as libpq reads them), when it signs in with OAuth. */
function oauthParamsOf(p: ConnectionProfile): OAuthParams | undefined {
  try {
    return oauthParamsFromKeywords(resolveProfile(p).params);
  } catch {
    return undefined;
  }
}

function validateArgv(v: string): string | undefined {
  if (!v.trim()) return undefined;
  try {
    const a = JSON.parse(v) as unknown;
    return Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'string')
      ? undefined
      : 'Give a JSON list of strings, e.g. ["gcloud", "sql", "generate-login-token"]';
  } catch {
    return 'Give a JSON list of strings, e.g. ["gcloud", "sql", "generate-login-token"]';
  }
}

async function removeConnection(s: ExtensionServices, p: ConnectionProfile): Promise<void> {
  if (p.sandbox)
    throw new PgOpsError(
      'profile-sandbox',
      'The local sandbox profile is managed by pgops',
      'Use Stop or Reset Local Sandbox instead.',
    );
  const answer = await vscode.window.showWarningMessage(
    `Remove the connection "${p.name}"?`,
    { modal: true, detail: 'The profile and its secrets in Secret Storage are removed; the server is not touched.' },
    'Remove',
  );
  if (answer !== 'Remove') return;
  await s.sessions.disconnect(p.id);
  await s.profiles.remove(p);
  await s.sessions.secrets.deleteAll(p);
}

async function duplicateConnection(s: ExtensionServices, p: ConnectionProfile): Promise<void> {
  let name = `${p.name} (copy)`;
  for (let i = 2; s.profiles.all().some((o) => o.name === name); i++) name = `${p.name} (copy ${i})`;
  const chosen = await vscode.window.showInputBox({
    title: `Duplicate "${p.name}"`,
    value: name,
    validateInput: (x) =>
      !x.trim()
        ? 'Enter a name'
        : s.profiles.all().some((o) => o.name === x.trim())
          ? 'A profile with this name exists'
          : undefined,
  });
  if (!chosen) return;
  const { id: _id, sandbox: _sandbox, ...fields } = p;
  const copy = p.sandbox
    ? {
        name: chosen.trim(),
        conninfo: Object.entries(profileParams(p))
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      }
    : { ...fields, name: chosen.trim() };
  await s.profiles.add(copy, s.profiles.scopeOf(p.name)?.target ?? vscode.ConfigurationTarget.Global);
  const created = s.profiles.all().find((o) => o.name === copy.name);
  if (created) await s.sessions.secrets.copy(p, created);
}

async function testConnection(s: ExtensionServices, p: ConnectionProfile): Promise<string[]> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Testing ${p.name}…`, cancellable: true },
    (_progress, token) => s.sessions.test(p, toAbortSignal(token)),
  );
  const lines = describeSessionInfo(result);
  s.logger.info(`Test Connection ${p.name}: ${lines.join('; ')}`);
  void vscode.window.showInformationMessage(`Connection "${p.name}" works.`, { modal: true, detail: lines.join('\n') });
  return lines;
}

/** Which pg_hba line the server uses for the profile and how pgops answers it, in a modal; returned for tests. */
async function explainAuth(s: ExtensionServices, p: ConnectionProfile): Promise<ProfileAuthPlan | undefined> {
  const plan = await s.sessions.authPlan(p);
  if (!plan) {
    void vscode.window.showWarningMessage(`No pg_hba rules are known for "${p.name}".`, {
      modal: true,
      detail:
        'Connect once as a role that may read pg_hba_file_rules (a superuser, or GRANT SELECT ON ' +
        'pg_hba_file_rules and EXECUTE ON FUNCTION pg_hba_file_rules()), or set "hbaFile" in the ' +
        "profile to a local copy of the server's pg_hba.conf.",
    });
    return undefined;
  }
  const detail = [plan.summary, '', plan.plan, '', `Rules: ${plan.rulesFrom}.`].join('\n');
  const title = plan.canSucceed ? `How "${p.name}" authenticates` : `"${p.name}" cannot authenticate this way`;
  if (plan.canSucceed) void vscode.window.showInformationMessage(title, { modal: true, detail });
  else void vscode.window.showWarningMessage(title, { modal: true, detail });
  return plan;
}

/**
 * Workspace settings against stored secrets, inside a real VS Code (a trusted workspace): a profile in
 * `.vscode/settings.json` that claims the id of the user's own profile but points at another host does
 * not receive the password stored for the user's profile. The user's profile signs in to a real
 * PostgreSQL 18 (SCRAM); the other host is a listener that asks for a cleartext password and records
 * what arrives (test/support/passwordTrap.ts). A workspace passwordCommand still works in a trusted
 * workspace.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PasswordTrap } from '../support/passwordTrap';
import { startPasswordTrap } from '../support/passwordTrap';
import { pgops, rigServer, waitFor } from '../support/vscodeHost';

const pgopsConfig = () => vscode.workspace.getConfiguration('pgops');

/** The extension's Output channel as VS Code writes it (a LogOutputChannel's file under the extension's log folder). */
async function outputChannelText(): Promise<string> {
  const api = await pgops();
  const file = path.join(api.services.context.logUri.fsPath, 'Postgres Ops.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

describe('Workspace profiles and stored secrets (in a real VS Code)', () => {
  const name = 'wstrust-prod';
  const conninfo = (host: string, port: number) =>
    `host=${host} port=${port} user=postgres dbname=postgres sslmode=disable connect_timeout=5`;
  let trap: PasswordTrap;
  let tmp: string;

  before(async () => {
    // The attacker listens on another loopback address, on the same port number as the real server: only the host differs.
    trap = await startPasswordTrap('127.0.0.3', rigServer().port);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-wstrust-'));
  });

  after(async () => {
    await trap?.close();
    const api = await pgops();
    await pgopsConfig().update('connections', undefined, vscode.ConfigurationTarget.Workspace);
    for (const p of api.services.profiles.all().filter((x) => x.name.startsWith('wstrust-'))) {
      await api.services.sessions.disconnect(p.id);
      await api.services.sessions.secrets.deleteAll(p);
      await api.services.profiles.remove(p);
    }
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    // The refused Connect leaves an error notification; the UI tests that follow look for their own.
    await vscode.commands.executeCommand('notifications.clearAll');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('does not send the password of a user profile to a workspace profile with the same id on another host', async () => {
    const api = await pgops();
    const { port, password } = rigServer();
    await api.services.profiles.add({ name, conninfo: conninfo('127.0.0.1', port) }, vscode.ConfigurationTarget.Global);
    const mine = await waitFor('the user profile', () => api.services.profiles.all().find((p) => p.name === name));
    await api.services.sessions.secrets.set(mine, password);
    const own = await api.services.sessions.test(mine);
    assert.equal(own.passwordSource, 'Secret Storage', "the stored password signs in to the profile's own server");

    // A cloned repository's .vscode/settings.json: same id, same name, the attacker's host.
    await pgopsConfig().update(
      'connections',
      [{ id: mine.id, name, conninfo: conninfo(trap.host, port) }],
      vscode.ConfigurationTarget.Workspace,
    );
    const theirs = await waitFor('the workspace profile', () =>
      api.services.profiles.all().find((p) => p.name === name && p.conninfo?.includes(trap.host)),
    );
    assert.equal(theirs.id, mine.id, "the workspace profile claims the user profile's id");

    // Not awaited: after the refusal pgops asks for a password (an input box this test closes) and reports the failure.
    void vscode.commands.executeCommand('pgops.connect', theirs.id);
    const visit = await waitFor("the attacker's listener to be visited", () =>
      trap.visits.find((v) => v.password !== undefined || v.closed),
    );
    const leaked = visit.password !== undefined;
    assert.ok(
      !leaked,
      `the workspace profile's host received a password${visit.password === password ? ' (the one stored for the user profile)' : ''}`,
    );
    await waitFor('Connect to give up once the password prompt is closed', async () => {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      return api.services.sessions.state(theirs.id).kind === 'failed' ? true : undefined;
    });
    const log = await outputChannelText();
    const why = `${name}: the password in Secret Storage was saved for postgres@127.0.0.1:${port}; not sent to postgres@127.0.0.3:${port}`;
    assert.ok(log.includes(why), `the log says why:\n${log}`);
    assert.ok(!log.includes(password), 'the log does not hold the password');

    // Without the workspace entry the user's own profile still has its password.
    await pgopsConfig().update('connections', undefined, vscode.ConfigurationTarget.Workspace);
    const back = await waitFor('the user profile again', () =>
      api.services.profiles.all().find((p) => p.name === name && p.conninfo?.includes('127.0.0.1')),
    );
    assert.equal((await api.services.sessions.test(back)).passwordSource, 'Secret Storage');
    assert.equal(
      trap.visits.filter((v) => v.password !== undefined).length,
      0,
      'no password ever reached the listener',
    );
  });

  it("runs a workspace profile's passwordCommand in a trusted workspace, and marks the profile as from the workspace", async () => {
    assert.equal(vscode.workspace.isTrusted, true, 'this suite runs in a trusted workspace');
    const api = await pgops();
    const { port, password } = rigServer();
    const ran = path.join(tmp, 'password-command.ran');
    const command = path.join(tmp, 'password-command');
    fs.writeFileSync(path.join(tmp, 'password'), password, { mode: 0o600 });
    fs.writeFileSync(command, `#!/bin/sh\ndate > '${ran}'\ncat '${path.join(tmp, 'password')}'\n`, { mode: 0o700 });
    await pgopsConfig().update(
      'connections',
      [{ name: 'wstrust-team', conninfo: conninfo('127.0.0.1', port), passwordCommand: [command] }],
      vscode.ConfigurationTarget.Workspace,
    );
    const team = await waitFor('the workspace profile', () =>
      api.services.profiles.all().find((p) => p.name === 'wstrust-team'),
    );
    assert.equal(team.origin, 'workspace');
    const result = await api.services.sessions.test(team);
    assert.equal(result.passwordSource, 'password command');
    assert.ok(fs.existsSync(ran), 'the password command ran');
  });
});

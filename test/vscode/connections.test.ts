/**
 * Connection profiles inside a real extension host: a profile goes to settings without its password,
 * the password goes to VS Code's SecretStorage, and the Connections view shows state and failure.
 * No server is needed: the profile points at a closed port on purpose.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { bindingsStateKey } from '../../src/core/conn/profileSecrets';
import type { SecretBindings } from '../../src/core/conn/secretBinding';
import type { ConnectionsNode } from '../../src/extension/views/connectionsView';
import { labelOf, pgops, treeItems, waitFor } from '../support/vscodeHost';

describe('Connection profiles and secrets (in a real VS Code)', () => {
  const name = 'pgops-vscode-conn-test';
  const secret = 'Vs-Code-Secret-987';

  after(async () => {
    const api = await pgops();
    const p = api.services.profiles.all().find((x) => x.name === name);
    if (p) {
      await api.services.sessions.disconnect(p.id);
      await api.services.profiles.remove(p);
      await api.services.sessions.secrets.delete(p);
    }
  });

  it('keeps the profile in settings and its password only in SecretStorage', async () => {
    const api = await pgops();
    await api.services.profiles.add(
      {
        name,
        conninfo: 'host=127.0.0.1 port=1 user=app dbname=app sslmode=disable connect_timeout=2',
        production: true,
      },
      vscode.ConfigurationTarget.Global,
    );
    const p = await waitFor('the new profile', () => api.services.profiles.all().find((x) => x.name === name));
    await api.services.sessions.secrets.set(p, secret);
    const [binding] = api.services.context.globalState.get<SecretBindings>(bindingsStateKey)?.[p.id] ?? [];
    assert.deepEqual(
      { user: binding?.user, endpoints: binding?.endpoints },
      { user: 'app', endpoints: ['127.0.0.1:1'] },
      "bound to the profile's user, host and port",
    );
    assert.equal(
      await api.services.context.secrets.get(`pgops.password@${binding.secretId}`),
      secret,
      "stored in VS Code SecretStorage under pgops' own id",
    );
    const settings = JSON.stringify(vscode.workspace.getConfiguration('pgops').inspect('connections'));
    assert.ok(settings.includes(name) && !settings.includes(secret), 'settings hold the profile, never the password');
  });

  it('shows the profile with its production flag, then the failure and its reason after Connect', async () => {
    const api = await pgops();
    const view = api.services.views.connections as vscode.TreeDataProvider<ConnectionsNode>;
    const row = async () => (await treeItems(view)).find((r) => labelOf(r.item) === name);
    const before = await waitFor('the profile row', row);
    assert.match(String(before.item.contextValue), /^pgops\.connection\+disconnected\+production$/);
    const details = (await treeItems(view, before.node)).map((r) => `${labelOf(r.item)}=${String(r.item.description)}`);
    assert.ok(
      details.includes('host=127.0.0.1:1') && details.includes('user=app') && details.includes('sslmode=disable'),
      details.join(', '),
    );
    // Not awaited: the command ends only when its error notification is dismissed.
    void vscode.commands.executeCommand('pgops.connect', before.node);
    const failed = await waitFor('the failed state', async () => {
      const r = await row();
      return r && /failed/.test(String(r.item.description)) ? r : undefined;
    });
    const errorRow = (await treeItems(view, failed.node)).find((r) => labelOf(r.item) === 'error');
    assert.match(String(errorRow?.item.description), /No PostgreSQL server answers at app@127\.0\.0\.1:1\/app/);
    assert.ok(!String(errorRow?.item.description).includes(secret));
  });
});

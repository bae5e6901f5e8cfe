/**
 * Restricted Mode, inside a real VS Code with Workspace Trust on: the folder is untrusted and its
 * `.vscode/settings.json` names programs (test/support/hostileWorkspace.ts) as `pgops.pgbenchPath`,
 * `pgops.sandbox.binDir` and a profile's `passwordCommand`. pgops works (limited support) and runs none of
 * them: the sandbox check at activation uses the embedded binaries, the workspace's profiles are not
 * offered, and a sweep on the user's own profile runs the pgbench found on this machine. The vscode tier
 * runs this folder alone, in a second code-server (see test/support/vscodeTier.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Report } from '../../../src/core/report';
import { hostileProfileName, hostileWorkspacePaths, programsThatRan } from '../../support/hostileWorkspace';
import { pgops, rigServer, waitFor } from '../../support/vscodeHost';

const folder = (): string => {
  const ws = vscode.workspace.workspaceFolders?.[0];
  assert.ok(ws, 'the Restricted Mode workbench opens a folder');
  return ws.uri.fsPath;
};

describe('Restricted Mode (an untrusted folder whose settings name programs)', function () {
  this.timeout(180_000);
  const userProfile = 'restricted-user-db';

  after(async () => {
    const api = await pgops();
    for (const p of api.services.profiles.all().filter((x) => x.name === userProfile)) {
      await api.services.sessions.disconnect(p.id);
      await api.services.sessions.secrets.deleteAll(p);
      await api.services.profiles.remove(p);
    }
  });

  it("activates pgops in the untrusted folder without running the workspace's sandbox binaries", async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the folder must open untrusted (Workspace Trust on, never asked)');
    const api = await pgops();
    // Activation (and every status check) reads the version of `postgres` in the sandbox's bin directory.
    assert.equal(api.services.sandbox.status().running, false);
    assert.ok(
      fs.existsSync(path.join(hostileWorkspacePaths(folder()).binDir, 'postgres')),
      'the workspace ships its own bin directory',
    );
    assert.deepEqual(programsThatRan(folder()), [], 'no program of the workspace ran');
  });

  it("does not offer the workspace's profiles, so their passwordCommand never runs", async () => {
    const api = await pgops();
    assert.equal(
      api.services.profiles.all().find((p) => p.name === hostileProfileName),
      undefined,
      'the workspace profile is not listed',
    );
    await vscode.commands.executeCommand('pgops.connect', hostileProfileName);
    assert.match(api.services.views.connections.message() ?? '', /Restricted Mode/);
    assert.deepEqual(programsThatRan(folder()), [], 'no program of the workspace ran');
    // The workspace's list is withheld, so adding to it would replace it unseen: refused.
    const settingsFile = path.join(folder(), '.vscode', 'settings.json');
    const before = fs.readFileSync(settingsFile, 'utf8');
    await assert.rejects(
      api.services.profiles.add({ name: 'restricted-new' }, vscode.ConfigurationTarget.Workspace),
      /cannot go to workspace settings in Restricted Mode/,
    );
    assert.equal(fs.readFileSync(settingsFile, 'utf8'), before);
  });

  it("runs a sweep on the user's own profile with the pgbench it finds itself, not the workspace's pgbenchPath", async () => {
    const api = await pgops();
    const { port, password } = rigServer();
    await api.services.profiles.add(
      { name: userProfile, conninfo: `host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=disable` },
      vscode.ConfigurationTarget.Global,
    );
    const p = await waitFor('the user profile', () => api.services.profiles.all().find((x) => x.name === userProfile));
    await api.services.sessions.secrets.set(p, password);
    const file = await vscode.commands.executeCommand<string | undefined>('pgops.runBenchSweep', p.id, {
      reportName: 'restricted-sweep',
      values: [1],
      durationS: 1,
      scale: 1,
      topStatements: 0,
    });
    assert.ok(file, 'the sweep returned no report (it showed an error; see the Postgres Ops log)');
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
    const text = JSON.stringify(report.sections);
    assert.ok(
      !text.includes(hostileWorkspacePaths(folder()).pgbench),
      "the report does not name the workspace's pgbench",
    );
    assert.match(text, /\/pgbench"/, 'the report names the pgbench that ran');
    assert.equal(path.dirname(file), path.join(folder(), 'pgbench-reports'));
    assert.deepEqual(programsThatRan(folder()), [], 'no program of the workspace ran');
  });
});

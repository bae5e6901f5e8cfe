/**
 * Smoke set inside a real extension host: the extension activates, its views and commands are wired
 * into the workbench, and the local sandbox reaches the Connections view.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ConnectionsNode } from '../../src/extension/views/connectionsView';
import { labelOf, packageJson, pgops, treeItems, waitFor } from '../support/vscodeHost';

/** Commands the workbench itself adds for every contributed view (`<viewId>.focus`, `.resetViewLocation`, …). */
function isViewCommand(id: string, viewIds: string[]): boolean {
  return viewIds.some((v) => id.startsWith(`${v}.`));
}

describe('extension in a real VS Code (smoke)', () => {
  const viewIds = (): string[] => packageJson().contributes.views.pgops.map((v) => v.id);

  it('activates on demand and returns its test API', async () => {
    const api = await pgops();
    assert.ok(vscode.extensions.getExtension('pgops.pgops')?.isActive, 'extension is active');
    assert.ok(api.services.views.connections, 'API exposes the Connections view provider');
  });

  it('registers exactly the commands package.json contributes', async () => {
    await pgops();
    const registered = (await vscode.commands.getCommands(true))
      .filter((id) => id.startsWith('pgops.') && !isViewCommand(id, viewIds()))
      .sort();
    const contributed = packageJson().contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(registered, contributed);
  });

  it('shows the five views in the Postgres Ops container, each empty so its welcome text is shown', async () => {
    const api = await pgops();
    assert.deepEqual(packageJson().contributes.views.pgops.map((v) => v.name), ['Connections', 'Query Stats', 'Replication', 'Bloat', 'Benchmark Reports']);
    await vscode.commands.executeCommand('workbench.view.extension.pgops');
    for (const id of viewIds()) {
      await vscode.commands.executeCommand(`${id}.focus`);
      const key = id.replace(/^pgops\./, '') as keyof typeof api.services.views;
      const provider = api.services.views[key] as vscode.TreeDataProvider<unknown>;
      assert.ok(provider, `a provider for ${id}`);
      assert.deepEqual(await treeItems(provider), [], `${id} has no items without a connection, so VS Code shows its welcome`);
    }
  });

  describe('Start Local Sandbox', () => {
    after(async () => {
      await vscode.commands.executeCommand('pgops.stopSandbox');
    });

    it('starts PostgreSQL 18 on the configured port and lists it, connected, in the Connections view', async () => {
      const api = await pgops();
      // The launcher configured pgops.sandbox.port to a free port and tells us which.
      const port = Number(process.env.PGOPS_TEST_SANDBOX_PORT);
      assert.ok(port > 0, 'PGOPS_TEST_SANDBOX_PORT is set by the launcher');
      const started = await Promise.race([
        vscode.commands.executeCommand<{ port: number } | undefined>('pgops.startSandbox'),
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000)),
      ]);
      if (started === 'timeout') assert.fail('Start Local Sandbox did not finish within 90 s (an error notification may be waiting; see Postgres Ops: Show Logs)');
      assert.ok(started, 'Start Local Sandbox failed (it showed an error; see the Postgres Ops log)');
      assert.equal(started.port, port, 'sandbox listens on the configured pgops.sandbox.port');

      const provider = api.services.views.connections as vscode.TreeDataProvider<ConnectionsNode>;
      const sandbox = await waitFor('the sandbox connection in the Connections view', async () =>
        (await treeItems(provider)).find(({ item }) => /\+sandbox/.test(item.contextValue ?? '')));
      assert.equal(labelOf(sandbox.item), 'Local sandbox (PostgreSQL 18)');
      assert.match(sandbox.item.contextValue ?? '', /^pgops\.connection\+connected\+sandbox/);
      assert.match(String(sandbox.item.description), /connected · PostgreSQL 18/);
      const details = await treeItems(provider, sandbox.node);
      const detail = (key: string): string | undefined => String(details.find(({ item }) => labelOf(item) === key)?.item.description);
      assert.equal(detail('port'), String(port));
      assert.equal(detail('user'), 'postgres');
    });
  });
});

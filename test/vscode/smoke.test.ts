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
    const contributed = packageJson()
      .contributes.commands.map((c) => c.command)
      .sort();
    assert.deepEqual(registered, contributed);
  });

  it("shows the eight views in the Postgres Ops container, each backed by the extension's provider", async () => {
    const api = await pgops();
    assert.deepEqual(
      packageJson().contributes.views.pgops.map((v) => v.name),
      ['Connections', 'Activity', 'Health', 'Query Stats', 'Replication', 'Bloat', 'HA Cluster', 'Benchmark Reports'],
    );
    await vscode.commands.executeCommand('workbench.view.extension.pgops');
    for (const id of viewIds()) {
      await vscode.commands.executeCommand(`${id}.focus`);
      const provider = api.services.views[
        id.replace(/^pgops\./, '') as keyof typeof api.services.views
      ] as vscode.TreeDataProvider<unknown>;
      assert.ok(provider, `a provider for ${id}`);
      assert.ok(Array.isArray(await treeItems(provider)), `${id} answers for its items`);
    }
  });

  it('shows the Connections welcome (no items) while no profile exists', async () => {
    const api = await pgops();
    assert.deepEqual(await treeItems(api.services.views.connections as vscode.TreeDataProvider<ConnectionsNode>), []);
  });

  it('tells the user how to connect in Query Stats, Replication and Bloat while nothing is connected', async () => {
    const api = await pgops();
    for (const key of ['queryStats', 'replication', 'bloat'] as const) {
      const provider = api.services.views[key] as vscode.TreeDataProvider<unknown>;
      const items = await waitFor(`${key} to finish loading`, async () => {
        const now = await treeItems(provider);
        return now.some(({ item }) => labelOf(item) === 'Loading…') ? undefined : now;
      });
      // Either the view's welcome text with its buttons (an empty tree), or items whose click connects.
      if (items.length === 0) {
        const welcome = packageJson().contributes.viewsWelcome.find((w) => w.view === `pgops.${key}`);
        assert.match(
          welcome?.contents ?? `(no welcome text for pgops.${key})`,
          /\]\(command:pgops\.(connect|addConnection|startSandbox)\)/,
          `${key} is empty, so its welcome text must offer a way to connect`,
        );
      }
      for (const { item } of items)
        assert.equal(item.command?.command, 'pgops.connect', `${key}: "${labelOf(item)}" leads to Connect`);
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
      if (started === 'timeout')
        assert.fail(
          'Start Local Sandbox did not finish within 90 s (an error notification may be waiting; see Postgres Ops: Show Logs)',
        );
      assert.ok(started, 'Start Local Sandbox failed (it showed an error; see the Postgres Ops log)');
      assert.equal(started.port, port, 'sandbox listens on the configured pgops.sandbox.port');

      const provider = api.services.views.connections as vscode.TreeDataProvider<ConnectionsNode>;
      const sandbox = await waitFor('the sandbox connection in the Connections view', async () =>
        (await treeItems(provider)).find(({ item }) => /\+sandbox/.test(item.contextValue ?? '')),
      );
      assert.equal(labelOf(sandbox.item), 'Local sandbox (PostgreSQL 18)');
      assert.match(sandbox.item.contextValue ?? '', /^pgops\.connection\+connected\+sandbox/);
      assert.match(String(sandbox.item.description), /connected · PostgreSQL 18/);
      const details = (await treeItems(provider, sandbox.node)).map(
        ({ item }) => `${labelOf(item)}: ${String(item.description)}`,
      );
      assert.ok(
        details.some((d) => new RegExp(`\\b${port}\\b`).test(d)),
        `a detail row names port ${port}: ${details.join(' | ')}`,
      );
      assert.ok(details.includes('user: postgres'), `a detail row names the user: ${details.join(' | ')}`);
    });
  });
});

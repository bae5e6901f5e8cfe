/**
 * Helpers for tests that run inside the extension host (test/vscode/*.test.ts): the extension's
 * test API, tree items of its views, and waiting for asynchronous UI state.
 */
import * as assert from 'node:assert/strict';
import { Client } from 'pg';
import * as vscode from 'vscode';
import type { PgOpsApi } from '../../src/extension/extension';

export const extensionId = 'pgops.pgops';

/** The installed pgops extension, activated; its activate() result is the test API. */
export async function pgops(): Promise<PgOpsApi> {
  const ext = vscode.extensions.getExtension<PgOpsApi>(extensionId);
  assert.ok(ext, `extension ${extensionId} is not installed in this VS Code`);
  return await ext.activate();
}

/** The parts of the installed package.json that the tests read. */
export interface InstalledManifest {
  contributes: {
    commands: Array<{ command: string }>;
    views: Record<string, Array<{ id: string; name: string }>>;
    viewsWelcome: Array<{ view: string; contents: string }>;
  };
}

export function packageJson(): InstalledManifest {
  const ext = vscode.extensions.getExtension(extensionId);
  assert.ok(ext, `extension ${extensionId} is not installed in this VS Code`);
  return ext.packageJSON as InstalledManifest;
}

/** Top-level (or child) tree items of a view provider, resolved the way the workbench resolves them. */
export async function treeItems<T>(
  provider: vscode.TreeDataProvider<T>,
  parent?: T,
): Promise<Array<{ node: T; item: vscode.TreeItem }>> {
  const nodes = (await provider.getChildren(parent)) ?? [];
  return await Promise.all(nodes.map(async (node) => ({ node, item: await provider.getTreeItem(node) })));
}

export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/** Polls `probe` until it returns a value other than undefined, or fails naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The OAuth rig's PostgreSQL 18 on 127.0.0.1, whose superuser `postgres` signs in with SCRAM (the vscode tier passes it in). */
export function rigServer(): { port: number; password: string } {
  const port = Number(process.env.PGOPS_TEST_PG18_PORT);
  const password = process.env.PGOPS_TEST_PG18_PASSWORD;
  assert.ok(
    port > 0 && password,
    'PGOPS_TEST_PG18_PORT/PASSWORD are not set: run this suite through the vscode tier (node scripts/test.mjs vscode)',
  );
  return { port, password };
}

/** Starts the local sandbox through its command and opens an admin session on it (superuser, trust on the sandbox). */
export async function startSandboxWithAdmin(applicationName: string): Promise<Client> {
  await pgops();
  const info = await vscode.commands.executeCommand<{ host: string; port: number } | undefined>('pgops.startSandbox');
  assert.ok(info, 'Start Local Sandbox failed (see the Postgres Ops log)');
  const admin = new Client({
    host: info.host,
    port: info.port,
    user: 'postgres',
    database: 'postgres',
    application_name: applicationName,
  });
  await admin.connect();
  return admin;
}

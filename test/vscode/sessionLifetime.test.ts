/**
 * One object per connection, in a real extension host on the local sandbox: with the Query Stats wait
 * sampler running, a pooled session open and a statement detail panel showing, Disconnect disposes all of
 * it in one place. The session reports what it disposed, the sampler stops sampling, the panel closes, and
 * the server's pg_stat_activity shows no pgops backend left.
 */
import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import * as vscode from 'vscode';
import type { SessionDisposal } from '../../src/extension/sessions';
import type { DiagNode, DiagTreeProvider } from '../../src/extension/views/diagTree';
import { pgops, startSandboxWithAdmin, waitFor } from '../support/vscodeHost';

const sandboxProfileId = 'sandbox';

describe('disconnect disposes the connection object and everything it owns (in the extension host)', function () {
  this.timeout(180_000);
  let admin: Client;

  before(async () => {
    admin = await startSandboxWithAdmin('vscode session lifetime test');
  });

  after(async () => {
    await admin?.end();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('pgops.stopSandbox');
  });

  /** pgops' backends on the sandbox (every pgops session there belongs to the sandbox profile). */
  async function pgopsBackends(): Promise<number> {
    const r = await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_catalog.pg_stat_activity WHERE application_name LIKE 'pgops%' AND pid <> pg_backend_pid()",
    );
    return Number(r.rows[0].n);
  }

  it('after Disconnect no sampler, timer, panel or client is left, and the session says what it disposed', async () => {
    const api = await pgops();
    const { sessions, views, profiles } = api.services;
    const profile = profiles.get(sandboxProfileId);
    assert.ok(profile, 'the sandbox profile');
    assert.equal(sessions.state(sandboxProfileId).kind, 'connected');

    // attach what a user would: a running wait sampler, a pooled session, a statement detail panel
    assert.equal(await views.queryStats.toggleSampling(), true, 'sampling started');
    const sampler = views.queryStats.activeSampler;
    assert.ok(sampler?.isRunning, 'the wait sampler runs');
    await sessions.pool(profile).query('SELECT 1');
    const queryStats = views.queryStats as unknown as DiagTreeProvider<unknown>;
    await queryStats.refresh();
    const statement = queryStats.getChildren().find((n: DiagNode) => n.item.contextValue === 'pgops.statement');
    assert.ok(statement, `a statement row in Query Stats: ${JSON.stringify(queryStats.state.kind)}`);
    const panel = await vscode.commands.executeCommand<{ isClosed: boolean } | undefined>(
      'pgops.showStatementDetail',
      statement,
    );
    assert.ok(panel && !panel.isClosed, 'the statement detail panel opened');
    await waitFor('the first samples', () => (sampler.snapshot().samples >= 1 ? true : undefined));
    assert.ok((await pgopsBackends()) >= 2, 'the diagnostic client and the pooled session are on the server');

    const reported = new Promise<SessionDisposal>((resolve) => {
      const sub = sessions.onDidDisposeSession((d) => {
        sub.dispose();
        resolve(d);
      });
    });
    await vscode.commands.executeCommand('pgops.disconnect', sandboxProfileId);
    const disposal = await reported;

    assert.equal(disposal.profileId, sandboxProfileId);
    for (const name of [
      'Query Stats wait sampler',
      'Query Stats redraw timer',
      'statement detail panel',
      'session pool (1 open)',
      'diagnostic client',
      'learned pg_hba rules',
    ])
      assert.ok(disposal.disposed.includes(name), `"${name}" among the disposed: ${disposal.disposed.join(', ')}`);
    assert.equal(sessions.state(sandboxProfileId).kind, 'disconnected');
    assert.equal(sessions.session(sandboxProfileId), undefined, 'no session object is kept for the profile');

    // the sampler's timer is gone: it is not running and takes no sample any more
    assert.equal(sampler.isRunning, false);
    assert.equal(views.queryStats.activeSampler, undefined);
    const samples = sampler.snapshot().samples;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(sampler.snapshot().samples, samples, 'no sample after Disconnect');
    assert.equal(panel.isClosed, true, 'the detail panel closed with its connection');
    await waitFor('the server to show no pgops backend', async () =>
      (await pgopsBackends()) === 0 ? true : undefined,
    );
  });
});

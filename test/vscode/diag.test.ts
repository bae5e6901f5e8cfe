/**
 * Diagnostics inside a real VS Code on the local sandbox: after real load, churn and two slots,
 * Query Stats, Replication and Bloat show them, and a statement's detail panel opens.
 */
import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import * as vscode from 'vscode';
import { healthCheckIds } from '../../src/core/ops/healthModel';
import type { DiagNode, DiagTreeProvider } from '../../src/extension/views/diagTree';
import { labelOf, pgops, startSandboxWithAdmin, waitFor } from '../support/vscodeHost';

type DiagView = DiagTreeProvider<unknown>;

/** Every node of a loaded diagnostic view, depth first. */
function allNodes(view: DiagView): DiagNode[] {
  const out: DiagNode[] = [];
  const walk = (nodes: DiagNode[]): void => {
    for (const n of nodes) {
      out.push(n);
      walk(n.children);
    }
  };
  walk(view.getChildren());
  return out;
}

async function loaded(view: DiagView, what: string): Promise<DiagNode[]> {
  await view.refresh();
  assert.equal(view.state.kind, 'ready', `${what}: ${JSON.stringify(view.state)}`);
  return allNodes(view);
}

describe('diagnostic views on the sandbox (in the extension host)', function () {
  this.timeout(180_000);
  let admin: Client;

  before(async () => {
    admin = await startSandboxWithAdmin('pgops vscode diag test');
    await admin.query('DROP TABLE IF EXISTS vsc_churn');
    await admin.query('CREATE TABLE vsc_churn (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = off)');
    await admin.query("INSERT INTO vsc_churn SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
    for (let i = 0; i < 3; i++) await admin.query("UPDATE vsc_churn SET pad = repeat('y', 200)");
    await admin.query('ANALYZE vsc_churn');
    for (let i = 0; i < 25; i++)
      await admin.query(
        'SELECT count(*) AS vsc_heavy_marker FROM vsc_churn a JOIN vsc_churn b USING (id) WHERE a.id % 7 = $1',
        [i % 7],
      );
    for (const [name, sql] of [
      ['vsc_logical', "SELECT pg_create_logical_replication_slot('vsc_logical', 'test_decoding')"],
      ['vsc_physical', "SELECT pg_create_physical_replication_slot('vsc_physical', true)"],
    ] as const) {
      const exists = await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name]);
      if (exists.rowCount === 0) await admin.query(sql);
    }
  });

  after(async () => {
    if (admin) {
      await admin.query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('vsc_logical', 'vsc_physical') AND NOT active",
      );
      await admin.query('DROP TABLE IF EXISTS vsc_churn');
      await admin.end();
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('pgops.stopSandbox');
  });

  it('Query Stats lists the statements of the load, the heavy join among them', async () => {
    const api = await pgops();
    const nodes = await loaded(api.services.views.queryStats, 'Query Stats');
    const statements = nodes.filter((n) => n.item.contextValue === 'pgops.statement');
    assert.ok(statements.length > 0, 'statement items');
    assert.ok(
      statements.some((n) => labelOf(n.item).includes('vsc_heavy_marker')),
      `heavy join listed among: ${statements.map((n) => labelOf(n.item)).join(' | ')}`,
    );
  });

  it('keeps a hostile query text inside its tooltip code block: untrusted, no HTML, no link or image', async () => {
    // slow enough to be among the top statements by total time
    await admin.query(
      'SELECT pg_sleep(0.5) AS "vsc_tooltip_marker\n```\n[click](command:pgops.stopSandbox) ![x](https://evil.example/x.png) <b>bold</b>"',
    );
    const api = await pgops();
    const nodes = await loaded(api.services.views.queryStats, 'Query Stats');
    const node = nodes.find(
      (n) => n.item.contextValue === 'pgops.statement' && labelOf(n.item).includes('vsc_tooltip_marker'),
    );
    const listed = nodes.filter((n) => n.item.contextValue === 'pgops.statement').map((n) => labelOf(n.item));
    assert.ok(node, `the hostile statement is listed among: ${listed.join(' | ')}`);
    const md = node.item.tooltip;
    assert.ok(md instanceof vscode.MarkdownString, 'a Markdown tooltip');
    assert.ok(!md.isTrusted && !md.supportHtml, 'untrusted, without HTML');
    // VS Code's own Markdown renderer (the built-in markdown extension) reads it as one code block
    const html = await vscode.commands.executeCommand<string>('markdown.api.render', md.value);
    assert.equal(html.match(/<pre/g)?.length, 1, html);
    assert.doesNotMatch(html, /<a\s|<img|<b>/i, html);
    assert.match(html, /click/, 'the query text is still shown, as text');
  });

  it('Replication lists the logical and the physical slot', async () => {
    const api = await pgops();
    const nodes = await loaded(api.services.views.replication, 'Replication');
    const slots = nodes.filter((n) => (n.item.contextValue ?? '').startsWith('pgops.slot'));
    assert.deepEqual(
      slots
        .map((n) => labelOf(n.item))
        .filter((l) => l.startsWith('vsc_'))
        .sort(),
      ['vsc_logical', 'vsc_physical'],
    );
    const logical = slots.find((n) => labelOf(n.item) === 'vsc_logical');
    assert.match(logical?.item.contextValue ?? '', /\+logical\b/);
  });

  it("keeps a view's rows on screen while it reloads, and another profile's failure does not reload it", async () => {
    const api = await pgops();
    const view = api.services.views.replication;
    const slotRows = () =>
      allNodes(view)
        .filter((n) => (n.item.contextValue ?? '').startsWith('pgops.slot'))
        .map((n) => n.item.id);
    await loaded(view, 'Replication');
    const shown = slotRows();
    assert.ok(shown.length >= 2, `slot rows: ${shown.join(', ')}`);
    const loadedAt = view.state.kind === 'ready' ? view.state.at : 0;

    // another profile connects and fails: its session changes, the sandbox's does not
    const name = 'vsc-diag-unrelated';
    await api.services.profiles.add(
      { name, conninfo: 'host=127.0.0.1 port=1 user=app dbname=app sslmode=disable connect_timeout=2' },
      vscode.ConfigurationTarget.Global,
    );
    const other = await waitFor('the unrelated profile', () =>
      api.services.profiles.all().find((p) => p.name === name),
    );
    try {
      await assert.rejects(api.services.sessions.connect(other));
      assert.equal(api.services.sessions.state(other.id).kind, 'failed');
      assert.equal(view.state.kind, 'ready', 'the view was not invalidated');
      assert.equal(view.state.kind === 'ready' && view.state.at, loadedAt, 'and not reloaded');
    } finally {
      await api.services.sessions.disconnect(other.id);
      await api.services.profiles.remove(other);
    }

    // a reload of the same session: the rows stay (with the same ids) until the new ones arrive
    view.invalidate();
    assert.deepEqual(slotRows(), shown, 'the rows stay while the reload runs');
    await waitFor('the reload', () => (view.state.kind === 'ready' && view.state.at > loadedAt ? true : undefined));
    assert.deepEqual(slotRows(), shown);
  });

  it('Bloat lists the churned table', async () => {
    const api = await pgops();
    const nodes = await loaded(api.services.views.bloat, 'Bloat');
    const tables = nodes.filter((n) => (n.item.contextValue ?? '').startsWith('pgops.bloat+table'));
    assert.ok(
      tables.some((n) => labelOf(n.item) === 'public.vsc_churn'),
      `vsc_churn listed among: ${tables.map((n) => labelOf(n.item)).join(', ')}`,
    );
  });

  it('Health view shows the summary, then a row for every check, failing and warning ones first', async () => {
    const api = await pgops();
    const view = api.services.views.health;
    await view.refresh();
    assert.equal(view.state.kind, 'ready', JSON.stringify(view.state));
    const [summary, ...checks] = view.getChildren();
    assert.match(labelOf(summary.item), /^\d+ (fail|warn|unknown|ok)( · \d+ (warn|unknown|ok))*$/);
    assert.deepEqual(checks.map((n) => labelOf(n.item)).sort(), [...healthCheckIds].sort());
    const statuses = checks.map(
      (n) => /^pgops\.healthCheck\+(ok|warn|fail|unknown)(\+fix)?$/.exec(n.item.contextValue ?? '')?.[1],
    );
    const rank = ['fail', 'warn', 'unknown', 'ok'];
    const ranks = statuses.map((st) => rank.indexOf(st ?? ''));
    assert.ok(
      ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1])),
      `statuses in order: ${statuses.join(', ')}`,
    );
  });

  it('Health view reloads when its thresholds change, and names a bad one in its error row', async () => {
    const api = await pgops();
    const view = api.services.views.health;
    const settings = vscode.workspace.getConfiguration('pgops');
    await view.refresh();
    try {
      await settings.update('health.thresholds', { cacheHitPct: { warn: -1 } }, vscode.ConfigurationTarget.Global);
      // VS Code reloads at once if the view is in sight; otherwise its rows wait, outdated, for the next look
      await waitFor('the view to take up the change', () =>
        view.state.kind === 'error' || (view.state.kind === 'ready' && view.state.outdated) ? true : undefined,
      );
      await view.refresh();
      assert.equal(view.state.kind, 'error', JSON.stringify(view.state));
      const [error] = view.getChildren();
      assert.match(
        labelOf(error.item),
        /^pgops\.health\.thresholds\.cacheHitPct\.warn must be a number ≥ 0 or null, got -1$/,
      );
    } finally {
      await settings.update('health.thresholds', undefined, vscode.ConfigurationTarget.Global);
    }
    await view.refresh();
    assert.equal(view.state.kind, 'ready', JSON.stringify(view.state));
  });

  it("Health view's Open Fix in Editor on a check row opens that check's fix in an untitled SQL editor", async () => {
    const api = await pgops();
    const view = api.services.views.health;
    const settings = vscode.workspace.getConfiguration('pgops');
    try {
      // any database age warns at 0%: wraparound then carries its VACUUM FREEZE fix
      await settings.update('health.thresholds', { wraparoundPct: { warn: 0 } }, vscode.ConfigurationTarget.Global);
      await view.refresh();
      const row = view.getChildren().find((n) => labelOf(n.item) === 'wraparound');
      assert.ok(row, 'the wraparound row');
      assert.equal(row.item.contextValue, 'pgops.healthCheck+warn+fix', JSON.stringify(row.item));
      const fix = (row.payload as { result: { fix: string } }).result.fix;
      await vscode.commands.executeCommand('pgops.openDiagFix', row);
      const editor = await waitFor('the fix editor', () => vscode.window.activeTextEditor);
      assert.equal(editor.document.isUntitled, true);
      assert.equal(editor.document.languageId, 'sql');
      assert.equal(editor.document.getText(), `${fix}\n`);
      assert.match(fix, /VACUUM/);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      await settings.update('health.thresholds', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('opens the detail panel of a statement in an editor tab', async () => {
    const api = await pgops();
    const nodes = allNodes(api.services.views.queryStats);
    const heavy = nodes.find(
      (n) => n.item.contextValue === 'pgops.statement' && labelOf(n.item).includes('vsc_heavy_marker'),
    );
    assert.ok(heavy, 'the heavy statement node');
    const panel = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; isClosed: boolean } | undefined>(
      'pgops.showStatementDetail',
      heavy,
    );
    assert.ok(panel, 'showStatementDetail returned its panel (it showed an error otherwise)');
    assert.equal(panel.panel.viewType, 'pgops.statementDetail');
    await waitFor('the detail panel to become visible', () => (panel.panel.visible ? true : undefined));
    assert.equal(panel.isClosed, false);
  });
});

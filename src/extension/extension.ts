import * as vscode from 'vscode';
import { BenchRuns } from './benchRuns';
import { ActiveConnectionStatus } from './activeConnection';
import { commandIds } from './commandIds';
import { registerCommands } from './commands/index';
import type { ExtensionServices } from './context';
import { hbaDiagnostics } from './hbaDiagnostics';
import { createLogger } from './logger';
import { ProfileSecrets } from '../core/conn/profileSecrets';
import { ProfileStore } from './profiles';
import { SandboxController } from './sandboxController';
import { createOAuthConnector } from './oauth';
import { SessionManager } from './sessions';
import { activityFlagThresholds, config } from './settings';
import { showError } from './ui';
import { ConnectionsView } from './views/connectionsView';
import { ActivityView } from './views/activityView';
import { BloatView } from './views/bloatView';
import { ClusterView } from './views/clusterView';
import { HealthView } from './views/healthView';
import { QueryStatsView } from './views/queryStatsView';
import { ReplicationView } from './views/replicationView';
import { ReportEditorProvider } from './editors/reportEditor';
import { ReportsView } from './views/reportsView';

let services: ExtensionServices | undefined;

/** What activate() returns: handles for the in-VS-Code test suite (and other extensions). */
export interface PgOpsApi {
  services: ExtensionServices;
  commandIds: readonly string[];
}

export function activate(context: vscode.ExtensionContext): PgOpsApi {
  const { channel, logger } = createLogger();
  context.subscriptions.push(channel);
  const profiles = new ProfileStore(context.globalState, logger);
  const sessions = new SessionManager(
    logger,
    new ProfileSecrets(context.secrets, context.globalState, logger),
    createOAuthConnector(context.secrets, logger),
  );
  const sandbox = new SandboxController(context, profiles, sessions, logger);
  const connections = new ConnectionsView(profiles, sessions);
  const reports = new ReportsView(logger);
  const reportEditor = ReportEditorProvider.register(context.extensionUri, logger);
  const views = {
    connections,
    activity: new ActivityView(sessions, profiles, logger, activityFlagThresholds),
    health: new HealthView(sessions, profiles, logger),
    queryStats: new QueryStatsView(sessions, profiles, logger),
    replication: new ReplicationView(sessions, profiles, logger),
    bloat: new BloatView(sessions, profiles, logger),
    cluster: new ClusterView(sessions, profiles, logger),
    reports,
  };
  context.subscriptions.push(profiles, sessions, connections, reports, reportEditor);
  context.subscriptions.push(
    views.activity,
    views.health,
    views.queryStats,
    views.replication,
    views.bloat,
    views.cluster,
  );
  const trees = createTreeViews(context, views);
  // File events can be lost or coalesced on a busy machine: the reports are scanned again whenever the view comes into sight
  context.subscriptions.push(
    trees.reports.onDidChangeVisibility((e) => {
      if (e.visible) reports.refresh();
    }),
    // the Activity view refreshes live only while it is in sight
    trees.activity.onDidChangeVisibility((e) => views.activity.setLive('view', e.visible)),
    // the HA Cluster view asks Patroni again every few seconds only while it is in sight
    trees.cluster.onDidChangeVisibility((e) => views.cluster.setVisible(e.visible)),
  );
  views.cluster.setVisible(trees.cluster.visible);
  views.activity.setLive('view', trees.activity.visible);
  const activeConnection = new ActiveConnectionStatus(sessions, profiles, [
    trees.activity,
    trees.queryStats,
    trees.replication,
    trees.bloat,
    trees.health,
    trees.cluster,
  ]);
  context.subscriptions.push(activeConnection);
  services = {
    context,
    logger,
    logChannel: channel,
    profiles,
    sessions,
    sandbox,
    benchRuns: new BenchRuns(),
    reportEditor,
    activeConnection,
    views,
  };
  context.subscriptions.push(services.benchRuns);
  context.subscriptions.push(...registerCommands(services));
  context.subscriptions.push(hbaDiagnostics(logger));
  void restoreSandbox(services);
  logger.info(
    `Postgres Ops activated (${context.extensionMode === vscode.ExtensionMode.Production ? 'production' : 'development'} mode)`,
  );
  return { services, commandIds };
}

/** A tree view per provider (view id `pgops.<key>`); the Connections view also carries the Restricted Mode note. */
function createTreeViews<V extends ExtensionServices['views']>(
  context: vscode.ExtensionContext,
  views: V,
): Record<keyof V, vscode.TreeView<unknown>> {
  const trees = {} as Record<keyof V, vscode.TreeView<unknown>>;
  for (const [id, provider] of Object.entries(views)) {
    const tree = vscode.window.createTreeView<unknown>(`pgops.${id}`, {
      treeDataProvider: provider,
      showCollapseAll: id !== 'connections',
      canSelectMany: id === 'reports',
    });
    trees[id as keyof V] = tree;
    context.subscriptions.push(tree);
    if (provider !== views.connections) continue;
    tree.message = views.connections.message();
    context.subscriptions.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        tree.message = views.connections.message();
      }),
    );
  }
  return trees;
}

/** A sandbox profile from an earlier session is kept only while its server runs (or is started again by autoStart). */
async function restoreSandbox(s: ExtensionServices): Promise<void> {
  try {
    if (config().get<boolean>('sandbox.autoStart', false) || s.sandbox.status().running) {
      await s.sandbox.start();
      const profile = s.profiles.get('sandbox');
      if (profile) await s.sessions.connect(profile);
    } else {
      await s.profiles.setSandbox(undefined);
    }
  } catch (err) {
    void showError(err, s.logger, 'Local sandbox');
  }
}

export async function deactivate(): Promise<void> {
  if (!services) return;
  await services.sessions.disconnectAll();
  await services.sandbox.release();
  services = undefined;
}

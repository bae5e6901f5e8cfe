import type * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { BenchRuns } from './benchRuns';
import type { ActiveConnectionStatus } from './activeConnection';
import type { ProfileStore } from './profiles';
import type { SandboxController } from './sandboxController';
import type { SessionManager } from './sessions';
import type { ActivityView } from './views/activityView';
import type { BloatView } from './views/bloatView';
import type { ClusterView } from './views/clusterView';
import type { ConnectionsView } from './views/connectionsView';
import type { HealthView } from './views/healthView';
import type { QueryStatsView } from './views/queryStatsView';
import type { ReplicationView } from './views/replicationView';
import type { ReportEditorProvider } from './editors/reportEditor';
import type { ReportsView } from './views/reportsView';

/** What command handlers and views share; built once in activate(). */
export interface ExtensionServices {
  context: vscode.ExtensionContext;
  logger: Logger;
  logChannel: vscode.LogOutputChannel;
  profiles: ProfileStore;
  sessions: SessionManager;
  sandbox: SandboxController;
  /** The running pgbench sweep, if any. */
  benchRuns: BenchRuns;
  /** The status bar item and view descriptions naming the connection the views show. */
  activeConnection: ActiveConnectionStatus;
  /** The report viewer (custom editor); knows the focused report tab. */
  reportEditor: ReportEditorProvider;
  views: {
    connections: ConnectionsView;
    activity: ActivityView;
    queryStats: QueryStatsView;
    replication: ReplicationView;
    bloat: BloatView;
    health: HealthView;
    cluster: ClusterView;
    reports: ReportsView;
  };
}

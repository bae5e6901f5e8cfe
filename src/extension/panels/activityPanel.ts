import type * as vscode from 'vscode';
import type { ConnectionSession } from '../../core/conn/connectionSession';
import type { ActivityToHost, HostToActivity } from '../../protocol/activity';
import { isActivityToHost } from '../../protocol/activity';
import type { ActivityData, ActivityView } from '../views/activityView';
import { activityRefreshSeconds } from '../views/activityView';
import { activityPanelState } from './activityPanelState';
import { DiagPanel } from './diagPanel';

const open = new Map<ConnectionSession, DiagPanel<HostToActivity, ActivityToHost>>();

/**
 * The Activity panel of one connection: active sessions by wait type over the last minutes, the sessions and
 * the blocking tree, redrawn at each refresh of the Activity view (which refreshes live while this panel is
 * visible, even with the view hidden). One per connection: opening it again reveals it. The connection owns it.
 *
 * Retained, not restored: its chart is the wait history this connection collected in memory, which a window
 * reload discards with the connection; Show Activity Panel opens it again once connected.
 */
export function openActivityPanel(
  extensionUri: vscode.Uri,
  view: ActivityView,
  session: ConnectionSession,
  current: ActivityData | undefined,
): DiagPanel<HostToActivity, ActivityToHost> {
  const existing = open.get(session);
  if (existing && !existing.isClosed) {
    existing.panel.reveal();
    return existing;
  }
  const watcher = `panel:${session.profile.id}`;
  const panel = new DiagPanel<HostToActivity, ActivityToHost>(
    extensionUri,
    'pgops.activityPanel',
    `Activity: ${session.profile.name}`,
    'activity',
    isActivityToHost,
    () => undefined,
  );
  open.set(session, panel);
  const post = (data: ActivityData): void =>
    panel.post({
      type: 'state',
      state: activityPanelState({
        title: `Activity: ${session.profile.name}`,
        snapshot: data.snapshot,
        tree: data.tree,
        history: session.waitHistory,
        thresholds: data.thresholds,
        refreshSeconds: activityRefreshSeconds(),
      }),
    });
  if (current && current.profileId === session.profile.id) post(current);
  const loads = view.onDidLoad((e) => {
    if (e.session === session) post(e.data);
  });
  view.setLive(watcher, true);
  const visibility = panel.panel.onDidChangeViewState((e) => view.setLive(watcher, e.webviewPanel.visible));
  const owned = session.own('activity panel', () => panel.dispose());
  panel.panel.onDidDispose(() => {
    loads.dispose();
    visibility.dispose();
    view.setLive(watcher, false);
    open.delete(session);
    void owned.dispose();
  });
  // a first point at once, so the chart does not wait for the next tick
  void view.refresh({ quiet: true });
  return panel;
}

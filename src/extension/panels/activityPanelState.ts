/**
 * What the Activity panel shows, from one read of the activity list and the connection's wait history. Free of
 * `vscode`, so it is tested in plain node.
 */
import type { ActivitySession, ActivitySnapshot, ActivityThresholds } from '../../core/ops/activity';
import { formatAge, oneLine, sessionFlags, timeoutText, waitLabel } from '../../core/ops/activity';
import type { BlockingNode } from '../../core/ops/blocking';
import { blockingNodeLine, flattenBlockingTree } from '../../core/ops/blocking';
import type { WaitHistory } from '../../core/ops/waitHistory';
import type { ActivityPanelState, ActivityRow } from '../../protocol/activity';

/** The table's rows: sessions blocked or blocking first, then flagged ones, then by transaction age. */
const rowLimit = 200;
const queryChars = 400;

export function activityRow(s: ActivitySession, t: ActivityThresholds, blockers: ReadonlySet<number>): ActivityRow {
  const flags: string[] = [...sessionFlags(s, t)];
  if (s.blockedBy.length) flags.push('blocked');
  if (blockers.has(s.pid)) flags.push('blocking');
  return {
    pid: s.pid,
    user: s.user,
    database: s.database,
    application: s.application,
    state: s.state ?? s.backendType,
    wait: waitLabel(s),
    queryAge: formatAge(s.queryAgeS),
    xactAge: formatAge(s.xactAgeS),
    flags,
    query: s.query === null ? null : oneLine(s.query, queryChars),
  };
}

/** The pids that block somebody. */
export function blockerPids(sessions: readonly ActivitySession[]): Set<number> {
  return new Set(sessions.flatMap((s) => s.blockedBy));
}

export function activityPanelState(opts: {
  title: string;
  snapshot: ActivitySnapshot;
  tree: readonly BlockingNode[];
  history: WaitHistory;
  thresholds: ActivityThresholds;
  refreshSeconds: number;
}): ActivityPanelState {
  const { snapshot, thresholds: t } = opts;
  const blockers = blockerPids(snapshot.sessions);
  const rank = (r: ActivityRow): number =>
    r.flags.includes('blocking') || r.flags.includes('blocked') ? 0 : r.flags.length ? 1 : 2;
  const rows = snapshot.sessions
    .filter((s) => !s.isOwn)
    .map((s) => activityRow(s, t, blockers))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .slice(0, rowLimit)
    .map(({ r }) => r);
  const refresh = opts.refreshSeconds > 0 ? `refreshed every ${opts.refreshSeconds} s while shown` : 'live refresh off';
  return {
    title: opts.title,
    readAt: snapshot.readAt,
    windowMs: opts.history.windowMs,
    types: opts.history.types(),
    points: opts.history.points(),
    sessions: rows,
    blocking: flattenBlockingTree(opts.tree).map(({ node, depth }) => ({ depth, text: blockingNodeLine(node) })),
    note:
      `${refresh} · flags: transaction open ≥ ${formatAge(t.longTransactionS)}, idle in transaction ≥ ` +
      `${formatAge(t.idleInTransactionS)} · idle_in_transaction_session_timeout ` +
      `${timeoutText(snapshot.idleInTransactionSessionTimeoutMs)}` +
      (snapshot.sessions.length > rowLimit ? ` · the first ${rowLimit} of ${snapshot.sessions.length} sessions` : ''),
  };
}

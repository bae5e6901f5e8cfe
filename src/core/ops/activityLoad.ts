import type { ActivityOptions, ActivitySnapshot } from './activity';
import { readActivity } from './activity';
import type { BlockingNode } from './blocking';
import { blockingTree } from './blocking';
import type { MaintenanceProgress } from './progress';
import { maintenanceOperations, runsMaintenance } from './progress';
import type { Queryable } from '../diag/queryable';
import type { WaitHistory } from './waitHistory';

/** One refresh of the Activity view: the sessions, their blocking tree and the maintenance they run. */
export interface ActivityLoad {
  snapshot: ActivitySnapshot;
  tree: BlockingNode[];
  /** Maintenance in progress, read only when a listed session runs some (runsMaintenance). */
  progress: MaintenanceProgress[];
  /** Why the progress views could not be read (the sessions still show). */
  progressError?: string;
}

/**
 * What a refresh of the Activity view does, outside the tree: one query for the sessions (readActivity), a
 * second only while one of them runs maintenance (the pg_stat_progress_* views), the blocking tree, and a point
 * for the wait history the panel charts. `npm run bench:activity` times this against the bare SQL.
 */
export async function loadActivity(
  client: Queryable,
  serverVersionNum: number,
  opts: ActivityOptions,
  history: WaitHistory,
): Promise<ActivityLoad> {
  const snapshot = await readActivity(client, serverVersionNum, opts);
  let progress: MaintenanceProgress[] = [];
  let progressError: string | undefined;
  if (snapshot.sessions.some(runsMaintenance)) {
    try {
      progress = await maintenanceOperations(client);
    } catch (err) {
      progressError = err instanceof Error ? err.message : String(err);
    }
  }
  history.add(Date.parse(snapshot.readAt), snapshot.sessions);
  return { snapshot, tree: blockingTree(snapshot.sessions), progress, progressError };
}

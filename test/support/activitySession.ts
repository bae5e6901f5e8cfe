import type { ActivitySession } from '../../src/core/ops/activity';

/** A session of the activity list for unit tests: an active client backend of app@shop, with `extra` over it. */
export function activitySession(pid: number, extra: Partial<ActivitySession> = {}): ActivitySession {
  return {
    pid,
    leaderPid: null,
    user: 'app',
    database: 'shop',
    application: 'api',
    clientAddr: '10.0.0.1',
    backendType: 'client backend',
    state: 'active',
    waitEventType: null,
    waitEvent: null,
    queryAgeS: 1,
    xactAgeS: 1,
    stateAgeS: 1,
    blockedBy: [],
    waitingFor: null,
    queryId: null,
    query: 'SELECT 1',
    isOwn: false,
    ...extra,
  };
}

import { serverVersionNum } from '../../core/conn/session';
import type { ActivitySnapshot, ActivityThresholds } from '../../core/ops/activity';
import {
  defaultActivityThresholds,
  formatAge,
  oneLine,
  readActivity,
  sessionFlags,
  timeoutText,
  waitLabel,
} from '../../core/ops/activity';
import type { BlockingNode } from '../../core/ops/blocking';
import { blockingNodeLine, blockingTree, flattenBlockingTree, waitingUnder } from '../../core/ops/blocking';
import type { CliCommand } from '../command';
import { parseFlags, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { formatTable } from '../output';

const options = {
  ...connFlags,
  json: { type: 'boolean' },
  blocking: { type: 'boolean' },
  all: { type: 'boolean' },
  'long-xact': { type: 'string' },
  'idle-xact': { type: 'string' },
} as const;

function secondsFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`--${flag} must be a number of seconds (0 or more), got "${value}"`);
  return n;
}

function sessionsText(snap: ActivitySnapshot, t: ActivityThresholds, all: boolean): string {
  const waiting = snap.sessions.filter((s) => s.blockedBy.length > 0).length;
  const head =
    `${snap.sessions.length} session(s)${all ? '' : ' (idle ones hidden; --all shows them)'}, ${waiting} waiting ` +
    `for a lock; idle_in_transaction_session_timeout ${timeoutText(snap.idleInTransactionSessionTimeoutMs)}`;
  if (snap.sessions.length === 0) return head;
  const table = formatTable(
    ['pid', 'user', 'database', 'application', 'state', 'wait', 'xact', 'query', 'blocked by', 'flags', 'statement'],
    snap.sessions.map((s) => [
      s.pid,
      s.user,
      s.database,
      oneLine(s.application, 20),
      s.state ?? s.backendType,
      oneLine(waitLabel(s), 50),
      formatAge(s.xactAgeS),
      formatAge(s.queryAgeS),
      s.blockedBy.join(','),
      sessionFlags(s, t).join(','),
      oneLine(s.query, 60),
    ]),
  );
  return `${head}\n${table}`;
}

function treeText(tree: BlockingNode[]): string {
  if (tree.length === 0) return 'no session waits for a lock';
  const waiting = tree.reduce((sum, r) => sum + waitingUnder(r), 0);
  const lines = flattenBlockingTree(tree).map(
    ({ node, depth }) => `${'  '.repeat(depth)}${depth ? '└ ' : ''}${blockingNodeLine(node)}`,
  );
  return [`${tree.length} blocker(s) at the root, ${waiting} session(s) waiting under them`, ...lines].join('\n');
}

export const activityCommand: CliCommand = {
  name: 'activity',
  summary: 'sessions now (pg_stat_activity), who blocks whom and the lock each waits for',
  usage:
    'pgops activity [--conn C] [--all] [--blocking] [--long-xact S] [--idle-xact S] [--hba-file F] [--json]\n' +
    "  --all           idle sessions too (and background processes idling in their main loop); never pgops' own\n" +
    '  --blocking      only the blocking tree: blockers at the root, the sessions waiting for them indented below\n' +
    `  --long-xact S   flag transactions open longer than S seconds (default ${defaultActivityThresholds.longTransactionS})\n` +
    `  --idle-xact S   flag sessions idle in a transaction longer than S seconds (default ${defaultActivityThresholds.idleInTransactionS})\n` +
    '  --json          an array of sessions (pid, user, database, application, state, waitEventType, waitEvent,\n' +
    '                  queryAgeS, xactAgeS, blockedBy, waitingFor, query, flags, …); with --blocking, the tree\n' +
    '  Statement texts are shown with secrets (passwords, keys) redacted.\n' +
    connFlagsUsage,
  options,
  async run(argv, io) {
    const { values } = parseFlags(argv, options);
    const thresholds: ActivityThresholds = {
      longTransactionS: secondsFlag(values['long-xact'], 'long-xact', defaultActivityThresholds.longTransactionS),
      idleInTransactionS: secondsFlag(values['idle-xact'], 'idle-xact', defaultActivityThresholds.idleInTransactionS),
    };
    const { client } = await openCliSessionFrom(values, io);
    try {
      const snap = await readActivity(client, await serverVersionNum(client), { includeIdle: !!values.all });
      if (values.blocking) {
        const tree = blockingTree(snap.sessions);
        io.out(values.json ? JSON.stringify(tree, null, 2) : treeText(tree));
      } else if (values.json) {
        io.out(
          JSON.stringify(
            snap.sessions.map((s) => ({ ...s, flags: sessionFlags(s, thresholds) })),
            null,
            2,
          ),
        );
      } else {
        io.out(sessionsText(snap, thresholds, !!values.all));
      }
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

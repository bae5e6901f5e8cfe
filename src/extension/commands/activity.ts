import * as vscode from 'vscode';
import { runCancellable } from '../../core/conn/cancel';
import { PgOpsError } from '../../core/errors';
import type { ActivityGrouping } from '../../core/ops/activity';
import { explainSessionQuery } from '../../core/ops/activityExplain';
import type { BackendSignal } from '../../core/ops/signal';
import { signalBackend, signalTarget, signalTargetText, signalWords } from '../../core/ops/signal';
import { requireWriteConfirmation } from '../confirm';
import type { ExtensionServices } from '../context';
import { openActivityPanel } from '../panels/activityPanel';
import { config } from '../settings';
import { toAbortSignal } from '../ui';
import type { SessionPayload } from '../views/activityView';
import { itemPayload, sessionFor } from './diagItem';
import type { CommandGroup } from './index';

const isSession = (x: unknown): boolean => typeof x === 'object' && x !== null && 'session' in x;

const groupings: Array<{ label: string; by: ActivityGrouping }> = [
  { label: 'State', by: 'state' },
  { label: 'Database', by: 'database' },
  { label: 'Application', by: 'application' },
  { label: 'Wait type', by: 'wait' },
];

/** The Activity view's commands: refresh, grouping, what to show, live refresh, the panel, and the session actions. */
export function activityCommands(s: ExtensionServices) {
  const { activity } = s.views;
  const session = (node: unknown) => {
    const p = itemPayload<SessionPayload>(node, isSession, 'a session');
    return { p, ctx: sessionFor(activity, p.profileId) };
  };
  const signal = async (node: unknown, sig: BackendSignal) => {
    const { p, ctx } = session(node);
    // the server's view of the pid now (it may have ended or been reused since the row was drawn)
    const target = await signalTarget(ctx.client, p.session.pid);
    const { who, statement } = signalTargetText(target);
    const words = signalWords[sig];
    await requireWriteConfirmation(ctx.profile, `${words.question.toLowerCase()} ${who}`, {
      detail: statement ? `It runs: ${statement}` : undefined,
      effect: words.effect,
    });
    const sent = await signalBackend(ctx.client, target.pid, sig);
    if (!sent)
      throw new PgOpsError(
        'signal-not-sent',
        `The server did not signal PID ${target.pid}`,
        'It may have ended meanwhile: refresh the Activity view.',
      );
    s.logger.info(`${sig}: ${words.done} PID ${target.pid} on ${ctx.profile.name}`);
    void vscode.window.showInformationMessage(`Postgres Ops: ${words.done} PID ${target.pid}.`);
    await activity.refresh();
    return target.pid;
  };
  const queryOf = (node: unknown): { text: string; pid: number } => {
    const { p } = session(node);
    const text = p.session.query;
    if (!text || text === '<insufficient privilege>')
      throw new PgOpsError(
        'activity-no-text',
        `The statement of PID ${p.session.pid} is not visible to this role`,
        'GRANT pg_read_all_stats (or pg_monitor) to this role to see every session.',
      );
    return { text, pid: p.session.pid };
  };
  return {
    'pgops.refreshActivity': () => activity.refresh(),
    'pgops.activityGroupBy': async () => {
      const pick = await vscode.window.showQuickPick(
        groupings.map((g) => ({ ...g, description: g.by === activity.grouping ? 'current' : undefined })),
        { title: 'Group Activity by' },
      );
      if (!pick) return;
      await config().update('activity.groupBy', pick.by, vscode.ConfigurationTarget.Global);
      await activity.refresh();
    },
    'pgops.activityShow': async () => {
      const items = [
        { label: 'Idle sessions', key: 'activity.showIdle', picked: config().get<boolean>('activity.showIdle', false) },
        {
          label: "This connection's own session",
          key: 'activity.showOwn',
          picked: config().get<boolean>('activity.showOwn', false),
        },
      ];
      const chosen = await vscode.window.showQuickPick(items, { canPickMany: true, title: 'Activity shows' });
      if (!chosen) return;
      for (const item of items)
        await config().update(item.key, chosen.includes(item), vscode.ConfigurationTarget.Global);
      await activity.refresh();
    },
    'pgops.pauseActivity': () => activity.setPaused(true),
    'pgops.resumeActivity': () => activity.setPaused(false),
    'pgops.showActivityPanel': () => {
      const ctx = activity.context();
      if ('error' in ctx) throw new PgOpsError('diag-no-session', ctx.error, 'Connect a profile first.');
      const state = activity.state;
      return openActivityPanel(
        s.context.extensionUri,
        activity,
        ctx.session,
        state.kind === 'ready' && state.client === ctx.client ? state.data : undefined,
      );
    },
    'pgops.cancelBackend': (node) => signal(node, 'cancel'),
    'pgops.terminateBackend': (node) => signal(node, 'terminate'),
    'pgops.copyActivityQuery': async (node) => {
      const { text, pid } = queryOf(node);
      await vscode.env.clipboard.writeText(text);
      void vscode.window.setStatusBarMessage(`Copied the statement of PID ${pid}`, 3000);
    },
    'pgops.openActivityQuery': async (node) => {
      const { text } = queryOf(node);
      await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument({ language: 'sql', content: `${text}\n` }),
      );
    },
    'pgops.explainActivityQuery': async (node) => {
      const { p, ctx } = session(node);
      const plan = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `EXPLAIN of PID ${p.session.pid}…`,
          cancellable: true,
        },
        (_progress, token) =>
          runCancellable(ctx.client, toAbortSignal(token), () =>
            explainSessionQuery(ctx.client, ctx.serverVersionNum, p.session),
          ),
      );
      const comment = (t: string) =>
        t
          .split('\n')
          .map((l) => `-- ${l}`)
          .join('\n');
      const content =
        `-- Plan of the statement PID ${p.session.pid} was running (${ctx.profile.name}); not executed.\n` +
        `${comment(p.session.query ?? '')}\n\n${comment(plan)}\n`;
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'sql', content }));
      return plan;
    },
  } satisfies CommandGroup;
}

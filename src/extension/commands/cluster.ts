import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../core/conn/profile';
import { PgOpsError } from '../../core/errors';
import type { ActionResult } from '../../core/ha/actions';
import { reloadMember, restartMember, setPaused, switchover, switchoverCandidates } from '../../core/ha/actions';
import { loadCluster } from '../../core/ha/cluster';
import { memberProfile } from '../../core/ha/memberProfile';
import { parsePatroniUrls } from '../../core/ha/patroniRest';
import { defaultDrillPlan, runDrill } from '../../core/ha/drill';
import { drillReport } from '../../core/ha/drillReport';
import { reportFileAt, writeReportFiles } from '../../core/report/files';
import { drillSentence } from '../../protocol/report';
import { requireWriteConfirmation } from '../confirm';
import { reportViewType } from '../editors/reportEditor';
import { benchReportsFolder, sessionSafety } from '../settings';
import { toAbortSignal } from '../ui';
import type { ExtensionServices } from '../context';
import { pickProfile } from '../profilePicker';
import type { ClusterPayload } from '../views/clusterView';
import { patroniEndpoint } from '../views/clusterView';
import { itemPayload } from './diagItem';
import type { CommandGroup } from './index';

const isClusterPayload = (x: unknown) => typeof x === 'object' && x !== null && 'state' in x && 'profileId' in x;

/** The HA Cluster view's commands: the REST API of a profile, refresh, and Patroni's actions after a confirmation. */
export function clusterCommands(s: ExtensionServices) {
  const { cluster } = s.views;

  const profileOf = (p: ClusterPayload): ConnectionProfile => {
    const profile = s.profiles.get(p.profileId);
    if (!profile)
      throw new PgOpsError('cluster-profile', 'The connection of this cluster was removed', 'Refresh the view.');
    return profile;
  };

  /** Confirms (the scope name typed on production profiles), sends, shows Patroni's answer and reloads the view. */
  const act = async (p: ClusterPayload, action: string, send: () => Promise<ActionResult>): Promise<ActionResult> => {
    const profile = profileOf(p);
    await requireWriteConfirmation(profile, action, {
      effect: "Patroni's REST API carries this out on the cluster.",
      typed: { name: p.state.scope ?? profile.name, what: "the cluster's scope name" },
    });
    try {
      const result = await send();
      void vscode.window.showInformationMessage(`${profile.name}: ${result.message || `HTTP ${result.status}`}`);
      return result;
    } finally {
      cluster.invalidate();
    }
  };

  const endpointFor = async (p: ClusterPayload) => {
    const endpoint = await patroniEndpoint(profileOf(p), s.sessions.secrets);
    if (!endpoint)
      throw new PgOpsError(
        'cluster-profile',
        'This connection names no Patroni REST API',
        'Run Set Patroni REST API….',
      );
    return endpoint;
  };

  return {
    'pgops.refreshCluster': () => cluster.refresh(),
    'pgops.setPatroniApi': async (arg?: unknown) => {
      const profile =
        (arg === undefined ? s.profiles.get(s.sessions.activeProfileId ?? '') : undefined) ??
        (await pickProfile(s, arg, 'Set Patroni REST API'));
      if (!profile) return;
      if (profile.sandbox)
        throw new PgOpsError(
          'cluster-sandbox',
          'The local sandbox is a single server, not a Patroni cluster',
          'Choose another connection.',
        );
      const urls = await vscode.window.showInputBox({
        title: `Patroni REST API of "${profile.name}"`,
        prompt: "The REST URL of one or more members, comma-separated (each member's restapi.connect_address)",
        value: profile.patroni?.urls.join(', ') ?? '',
        placeHolder: 'http://10.0.0.1:8008, http://10.0.0.2:8008',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            parsePatroniUrls(v, 'The URLs');
            return undefined;
          } catch (err) {
            return (err as Error).message;
          }
        },
      });
      if (urls === undefined) return;
      const username = await vscode.window.showInputBox({
        title: `Patroni REST API of "${profile.name}": user`,
        prompt: 'The user of restapi.authentication (empty when the API asks for none); kept in Secret Storage',
        ignoreFocusOut: true,
      });
      if (username === undefined) return;
      const password = username
        ? await vscode.window.showInputBox({
            title: `Patroni REST API of "${profile.name}": password`,
            prompt: `The password of "${username}"; kept in Secret Storage, never in settings`,
            password: true,
            ignoreFocusOut: true,
          })
        : '';
      if (password === undefined) return;
      const { id: _id, ...rest } = profile;
      await s.profiles.update(profile.name, { ...rest, patroni: { ...profile.patroni, urls: parsePatroniUrls(urls) } });
      const updated = s.profiles.all().find((p) => p.name === profile.name) ?? profile;
      if (username) await s.sessions.secrets.set(updated, JSON.stringify({ username, password }), 'patroniRest');
      else await s.sessions.secrets.delete(updated, 'patroniRest');
      cluster.invalidate();
    },
    'pgops.switchoverCluster': async (node) => {
      const p = itemPayload<ClusterPayload>(node, isClusterPayload, 'a Patroni cluster or member');
      const endpoint = await endpointFor(p);
      // the leader as it is now: Patroni refuses a switchover that names a former leader
      const now = await loadCluster(endpoint);
      const candidates = p.member && p.member.name !== now.leader ? [p.member.name] : switchoverCandidates(now);
      if (candidates.length === 0)
        throw new PgOpsError(
          'patroni-member',
          'No member can take over now',
          'Wait for a running replica (a sync standby under synchronous_mode).',
        );
      const candidate =
        candidates.length === 1
          ? candidates[0]
          : await vscode.window.showQuickPick(candidates, { title: `Switch over ${now.scope ?? ''} to…` });
      if (!candidate) return;
      return act(p, `switch over ${now.scope ?? 'the cluster'} from ${now.leader ?? '?'} to ${candidate}`, () =>
        switchover(endpoint, now, { candidate }),
      );
    },
    'pgops.restartClusterMember': async (node) => {
      const p = itemPayload<ClusterPayload>(
        node,
        (x) => isClusterPayload(x) && !!(x as ClusterPayload).member,
        'a member',
      );
      const endpoint = await endpointFor(p);
      return act(p, `restart PostgreSQL on ${p.member!.name}`, () => restartMember(endpoint, p.state, p.member!.name));
    },
    'pgops.reloadClusterMember': async (node) => {
      const p = itemPayload<ClusterPayload>(
        node,
        (x) => isClusterPayload(x) && !!(x as ClusterPayload).member,
        'a member',
      );
      const endpoint = await endpointFor(p);
      return act(p, `reload the configuration of ${p.member!.name}`, () =>
        reloadMember(endpoint, p.state, p.member!.name),
      );
    },
    'pgops.pauseCluster': async (node) => {
      const p = itemPayload<ClusterPayload>(node, isClusterPayload, 'a Patroni cluster');
      const endpoint = await endpointFor(p);
      return act(p, `pause ${p.state.scope ?? 'the cluster'} (maintenance mode: no failover)`, () =>
        setPaused(endpoint, true),
      );
    },
    'pgops.resumeCluster': async (node) => {
      const p = itemPayload<ClusterPayload>(node, isClusterPayload, 'a Patroni cluster');
      const endpoint = await endpointFor(p);
      return act(p, `resume ${p.state.scope ?? 'the cluster'} (leave maintenance mode)`, () =>
        setPaused(endpoint, false),
      );
    },
    'pgops.runFailoverDrill': async (node) => {
      const p = itemPayload<ClusterPayload>(node, isClusterPayload, 'a Patroni cluster');
      const profile = profileOf(p);
      const endpoint = await endpointFor(p);
      // the cluster as it is now, not as the view last drew it (a sync standby is named again after each switch)
      const now = await loadCluster(endpoint);
      const candidates = switchoverCandidates(now);
      const kinds = [
        {
          label: 'Switchover',
          description: 'POST /switchover: the planned change of leader',
          event: 'switchover' as const,
        },
        {
          label: 'Failover',
          description: 'POST /failover: Patroni promotes the candidate',
          event: 'failover' as const,
        },
      ];
      const kind = await vscode.window.showQuickPick(kinds, {
        title: `Failover drill on ${p.state.scope ?? profile.name}`,
      });
      if (!kind) return;
      const candidate =
        candidates.length <= 1
          ? candidates[0]
          : await vscode.window.showQuickPick(candidates, { title: `${kind.label} to…` });
      if (!candidate)
        throw new PgOpsError(
          'drill-candidate',
          now.config.synchronousMode
            ? 'No member can take over: synchronous_mode is on and no sync standby runs'
            : 'No member can take over: no running replica without nofailover',
          'Wait until the HA Cluster view shows a sync standby (or a running replica), then run the drill again.',
        );
      const seconds = await vscode.window.showInputBox({
        title: `${kind.label} drill: how long the probe writer runs (seconds)`,
        value: String(defaultDrillPlan.durationMs / 1000),
        validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 5 ? undefined : 'A whole number of seconds, at least 5'),
      });
      if (seconds === undefined) return;
      const table = `${defaultDrillPlan.table.schema}.${defaultDrillPlan.table.name}`;
      await requireWriteConfirmation(
        profile,
        `run a ${kind.event} drill on ${now.scope ?? 'the cluster'} to ${candidate}`,
        {
          detail:
            `A probe writer inserts a row into ${table} every ${defaultDrillPlan.intervalMs} ms (the table is created ` +
            "when missing; the drill's rows are deleted at the end), and Patroni's REST API moves the leader from " +
            `${now.leader ?? '?'} to ${candidate}`,
          effect: 'Applications lose their writes for the length of the outage.',
          typed: { name: p.state.scope ?? profile.name, what: "the cluster's scope name" },
        },
      );
      const plan = {
        ...defaultDrillPlan,
        event: kind.event,
        method: 'rest' as const,
        candidate,
        durationMs: Number(seconds) * 1000,
      };
      const outcome = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `${kind.label} drill on ${p.state.scope ?? profile.name}`,
          cancellable: true,
        },
        (progress, token) =>
          runDrill(plan, {
            endpoint,
            signal: toAbortSignal(token),
            progress: (line) => {
              progress.report({ message: line });
              s.logger.info(`drill: ${line}`);
            },
            openWriter: async () => {
              const c = await s.sessions.applicationSession(profile, {
                ...sessionSafety(),
                applicationName: 'pgops drill',
                readOnly: false,
                statementTimeoutMs: 2000,
              });
              return { client: c.client, server: `${c.info.host.host}:${c.info.host.port}` };
            },
          }),
      );
      cluster.invalidate();
      const report = drillReport(outcome, `drill-${kind.event}-${outcome.startedAt.replace(/[:.]/g, '-')}`);
      const outDir = benchReportsFolder(s.context.globalStorageUri.fsPath);
      const paths = writeReportFiles(reportFileAt({ folder: outDir }, report.report_name), report);
      s.logger.info(`drill on ${profile.name}: ${drillSentence(report.pgops!.drill!)} Report ${paths.json}`);
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(paths.json), reportViewType);
      return paths.json;
    },
    'pgops.connectClusterMember': async (node) => {
      const p = itemPayload<ClusterPayload>(
        node,
        (x) => isClusterPayload(x) && !!(x as ClusterPayload).member,
        'a member',
      );
      const next = memberProfile(profileOf(p), p.member!);
      if (!s.profiles.all().some((x) => x.name === next.name))
        await s.profiles.add(next, vscode.ConfigurationTarget.Global);
      const added = s.profiles.all().find((x) => x.name === next.name);
      if (added) await s.sessions.connect(added);
      return added?.name;
    },
  } satisfies CommandGroup;
}

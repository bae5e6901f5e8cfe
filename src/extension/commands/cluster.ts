import * as vscode from 'vscode';
import type { ConnectionProfile } from '../../core/conn/profile';
import { PgOpsError } from '../../core/errors';
import type { ActionResult } from '../../core/ha/actions';
import { reloadMember, restartMember, setPaused, switchover, switchoverCandidates } from '../../core/ha/actions';
import { memberProfile } from '../../core/ha/memberProfile';
import { parsePatroniUrls } from '../../core/ha/patroniRest';
import { requireWriteConfirmation } from '../confirm';
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
      const candidates = p.member && p.member.name !== p.state.leader ? [p.member.name] : switchoverCandidates(p.state);
      const candidate =
        candidates.length === 1
          ? candidates[0]
          : await vscode.window.showQuickPick(candidates, { title: `Switch over ${p.state.scope ?? ''} to…` });
      if (!candidate) return;
      const endpoint = await endpointFor(p);
      return act(p, `switch over ${p.state.scope ?? 'the cluster'} from ${p.state.leader ?? '?'} to ${candidate}`, () =>
        switchover(endpoint, p.state, { candidate }),
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

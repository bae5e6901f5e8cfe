import * as vscode from 'vscode';
import type { ReplicationOverview, ReplicationSlot, Standby } from '../../core/diag/replication';
import { formatBytes, replicationOverview, slotWarnings } from '../../core/diag/replication';
import type { Logger } from '../../core/log';
import type { ProfileStore } from '../profiles';
import type { SessionManager } from '../sessions';
import { config } from '../settings';
import type { DiagContext } from './diagTree';
import { DiagNode, DiagTreeProvider, detailNode, messageNode } from './diagTree';

export interface SlotPayload {
  slot: ReplicationSlot;
  profileId: string;
}

const bytes = (n: number | null | undefined) => (n === null || n === undefined ? '—' : formatBytes(n));
const msText = (n: number | null) =>
  n === null ? '—' : n < 1000 ? `${n.toFixed(0)} ms` : `${(n / 1000).toFixed(1)} s`;

/** Slots (with retained WAL and warnings), walsenders, and on a standby its WAL receiver. */
export class ReplicationView extends DiagTreeProvider<ReplicationOverview & { profileId: string }> {
  constructor(sessions: SessionManager, profiles: ProfileStore, logger: Logger) {
    super('pgops.replication', sessions, profiles, logger);
  }

  protected async load(ctx: DiagContext): Promise<ReplicationOverview & { profileId: string }> {
    return { ...(await replicationOverview(ctx.client, ctx.serverVersionNum)), profileId: ctx.profile.id };
  }

  protected render(data: ReplicationOverview & { profileId: string }): DiagNode[] {
    const id = this.viewId;
    const threshold = config().get<number>('replication.inactiveSlotWarningBytes', 1024 ** 3);
    const slots = data.slots.map((s) => this.slotNode(s, data.profileId, threshold));
    const slotsItem = new vscode.TreeItem(`Slots (${data.slots.length})`, vscode.TreeItemCollapsibleState.Expanded);
    slotsItem.id = `${id}/slots`;
    slotsItem.iconPath = new vscode.ThemeIcon('database');
    slotsItem.description = data.standby ? 'this server is a standby' : 'this server is a primary';
    const nodes = [
      new DiagNode(
        slotsItem,
        slots.length ? slots : [messageNode(`${id}/slots/none`, 'No replication slots', { icon: 'circle-slash' })],
      ),
    ];
    const standbys = data.standbys.map((s) => this.standbyNode(s));
    const sbItem = new vscode.TreeItem(
      `Standbys and walsenders (${data.standbys.length})`,
      vscode.TreeItemCollapsibleState.Expanded,
    );
    sbItem.id = `${id}/standbys`;
    sbItem.iconPath = new vscode.ThemeIcon('broadcast');
    const sbChildren = standbys.length
      ? standbys
      : [
          messageNode(`${id}/standbys/none`, 'No walsender is connected (pg_stat_replication is empty)', {
            icon: 'circle-slash',
          }),
        ];
    if (!data.readAllStats && data.standbys.length)
      sbChildren.push(
        messageNode(
          `${id}/standbys/privilege`,
          'Details hidden: GRANT pg_read_all_stats (or pg_monitor) to this role',
          { icon: 'lock' },
        ),
      );
    nodes.push(new DiagNode(sbItem, sbChildren));
    if (data.standby) {
      const r = data.receiver;
      const rItem = new vscode.TreeItem(
        'WAL receiver',
        r ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
      );
      rItem.id = `${id}/receiver`;
      rItem.iconPath = new vscode.ThemeIcon('cloud-download');
      rItem.description = r ? `${r.status ?? '?'} from ${r.senderHost ?? '?'}:${r.senderPort ?? '?'}` : 'not streaming';
      nodes.push(
        new DiagNode(
          rItem,
          r
            ? [
                detailNode(rItem.id, 'slot', r.slotName ?? '—'),
                detailNode(rItem.id, 'flushed', r.flushedLsn ?? '—'),
                detailNode(rItem.id, 'replayed', r.replayLsn ?? '—'),
                detailNode(rItem.id, 'replay lag', bytes(r.replayLagBytes)),
                detailNode(rItem.id, 'last message', r.lastMsgReceiptTime ?? '—'),
              ]
            : [],
        ),
      );
    }
    return nodes;
  }

  private slotNode(s: ReplicationSlot, profileId: string, threshold: number): DiagNode<SlotPayload> {
    const warnings = slotWarnings(s, threshold);
    const item = new vscode.TreeItem(s.slotName, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.viewId}/slot/${s.slotName}`;
    item.description =
      `${s.slotType}${s.plugin ? ` (${s.plugin})` : ''} · ${s.active ? 'active' : 'inactive'} · ` +
      `retains ${bytes(s.retainedBytes)}${s.walStatus ? ` · ${s.walStatus}` : ''}`;
    item.contextValue = ['pgops.slot', s.slotType, s.active ? 'active' : 'inactive', warnings.length ? 'warning' : '']
      .filter(Boolean)
      .join('+');
    item.iconPath = warnings.some((w) => w.level === 'error')
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      : warnings.length
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
        : new vscode.ThemeIcon(s.active ? 'pass-filled' : 'circle-large-outline');
    item.tooltip = [`${s.slotName}: ${item.description}`, ...warnings.map((w) => `⚠ ${w.message}`)].join('\n');
    const pid = item.id;
    const rows: Array<[string, string]> = [
      ['database', s.database ?? '—'],
      ['active pid', s.activePid === null ? '—' : String(s.activePid)],
      ['restart_lsn', s.restartLsn ?? '—'],
      ['retained WAL', bytes(s.retainedBytes)],
      ['wal_status', s.walStatus ?? '—'],
      ['safe_wal_size', s.safeWalSize === null ? 'unlimited (max_slot_wal_keep_size = -1)' : bytes(s.safeWalSize)],
    ];
    if (s.slotType === 'logical')
      rows.push(['confirmed_flush_lsn', s.confirmedFlushLsn ?? '—'], ['unconfirmed WAL', bytes(s.unconfirmedBytes)]);
    if (s.xminAge !== null) rows.push(['xmin age', String(s.xminAge)]);
    if (s.temporary) rows.push(['temporary', 'yes']);
    for (const [k, v] of [
      ['two_phase', s.twoPhase],
      ['two_phase_at', s.twoPhaseAt],
      ['conflicting', s.conflicting],
      ['inactive_since', s.inactiveSince],
      ['invalidation_reason', s.invalidationReason],
      ['failover', s.failover],
      ['synced', s.synced],
    ] as const) {
      if (v !== undefined) rows.push([k, v === null ? '—' : String(v)]);
    }
    const children = [
      ...warnings.map((w, i) =>
        messageNode(`${pid}/warning/${i}`, w.message, { icon: w.level === 'error' ? 'error' : 'warning' }),
      ),
      ...rows.map(([k, v]) => detailNode(pid, k, v)),
    ];
    return new DiagNode<SlotPayload>(item, children, { slot: s, profileId });
  }

  private standbyNode(s: Standby): DiagNode {
    const item = new vscode.TreeItem(s.applicationName || `pid ${s.pid}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.viewId}/standby/${s.pid}`;
    item.iconPath = new vscode.ThemeIcon('vm-connect');
    item.description =
      s.state === null
        ? 'details hidden'
        : `${s.state} · ${s.syncState ?? '?'} · replay lag ${bytes(s.replayLagBytes)} / ${msText(s.replayLagMs)}`;
    const id = item.id;
    return new DiagNode(item, [
      detailNode(id, 'client', `${s.user ?? '?'}@${s.clientAddr ?? 'local'}`),
      detailNode(id, 'sent_lsn', s.sentLsn ?? '—'),
      detailNode(id, 'write lag', `${bytes(s.writeLagBytes)} / ${msText(s.writeLagMs)}`),
      detailNode(id, 'flush lag', `${bytes(s.flushLagBytes)} / ${msText(s.flushLagMs)}`),
      detailNode(id, 'replay lag', `${bytes(s.replayLagBytes)} / ${msText(s.replayLagMs)}`),
      detailNode(id, 'sync', `${s.syncState ?? '—'} (priority ${s.syncPriority ?? '—'})`),
      detailNode(id, 'reply_time', s.replyTime ?? '—'),
    ]);
  }
}

import type { ActivitySession } from './activity';
import { formatAge, oneLine, waitLabel } from './activity';

/** One session in the blocking tree: the sessions it blocks are its children. */
export interface BlockingNode {
  pid: number;
  /**
   * The session, or null when it is not in the list read: pid 0 is a prepared transaction holding the lock,
   * another pid a backend the list left out (the reading session's own, or one that has just ended).
   */
  session: ActivitySession | null;
  children: BlockingNode[];
  /** Blockers of this session other than its parent in the tree (a session queued behind several). */
  alsoBlockedBy: number[];
  /**
   * This session is shown in full elsewhere in the tree, and here only as a leaf: the pid that closes a lock cycle
   * (a deadlock the server has not broken yet), or a session under a blocker that has no other place in the tree.
   */
  repeated: boolean;
}

/**
 * The blocking tree from each session's blockedBy (pg_blocking_pids): the blockers that wait for nobody at
 * the roots, the sessions waiting for them below. A session blocked by several sessions is shown once, under
 * the blocker deepest in the chain (a lock queue A ← B ← C, where C waits behind both, reads as a chain), and
 * names the others in alsoBlockedBy; a blocker left with nothing under it (two holders of a shared lock) lists
 * the sessions it blocks as `repeated` leaves. Sessions in a lock cycle have no root that waits for nobody: the
 * cycle is rooted at its lowest pid and the pid that closes it is a `repeated` leaf.
 */
export function blockingTree(sessions: readonly ActivitySession[]): BlockingNode[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const blockersOf = (pid: number): number[] => [...new Set(byPid.get(pid)?.blockedBy ?? [])].filter((b) => b !== pid);
  const involved = new Set<number>();
  for (const s of sessions) {
    const blockers = blockersOf(s.pid);
    if (blockers.length === 0) continue;
    involved.add(s.pid);
    for (const b of blockers) involved.add(b);
  }
  if (involved.size === 0) return [];

  const depth = chainDepths(blockersOf);
  const parentOf = new Map<number, number>();
  const childrenOf = new Map<number, number[]>();
  for (const pid of involved) {
    const blockers = blockersOf(pid);
    if (blockers.length === 0) continue;
    const parent = blockers.reduce((best, b) => {
      const d = depth(b) - depth(best);
      return d > 0 || (d === 0 && b < best) ? b : best;
    });
    parentOf.set(pid, parent);
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), pid]);
  }

  const placed = new Set<number>();
  const node = (pid: number, repeated: boolean, children: BlockingNode[]): BlockingNode => ({
    pid,
    session: byPid.get(pid) ?? null,
    children,
    alsoBlockedBy: blockersOf(pid).filter((b) => b !== parentOf.get(pid)),
    repeated,
  });
  const build = (pid: number): BlockingNode => {
    placed.add(pid);
    const kids = [...(childrenOf.get(pid) ?? [])]
      .sort((a, b) => a - b)
      .map((c) => (placed.has(c) ? node(c, true, []) : build(c)));
    return node(pid, false, kids);
  };
  const roots = [...involved]
    .filter((pid) => !parentOf.has(pid))
    .sort((a, b) => a - b)
    .map(build);
  // what no root reached hangs from a cycle of parents: root each cycle at its lowest pid
  for (const pid of [...involved].sort((a, b) => a - b)) {
    if (placed.has(pid)) continue;
    const path: number[] = [];
    let p: number | undefined = pid;
    while (p !== undefined && !path.includes(p)) {
      path.push(p);
      p = parentOf.get(p);
    }
    const cycle = p === undefined ? path : path.slice(path.indexOf(p));
    roots.push(build(Math.min(...cycle)));
  }
  for (const root of roots)
    if (root.children.length === 0)
      root.children = [...involved]
        .filter((pid) => blockersOf(pid).includes(root.pid))
        .sort((a, b) => a - b)
        .map((pid) => node(pid, true, []));
  return roots.sort((a, b) => waitingUnder(b) - waitingUnder(a) || a.pid - b.pid);
}

/** The longest chain of blockers above each pid (0 for a pid that waits for nobody); a cycle counts once. */
function chainDepths(blockersOf: (pid: number) => number[]): (pid: number) => number {
  const known = new Map<number, number>();
  const onPath = new Set<number>();
  const depthOf = (pid: number): number => {
    const k = known.get(pid);
    if (k !== undefined) return k;
    if (onPath.has(pid)) return 0;
    onPath.add(pid);
    let d = 0;
    for (const b of blockersOf(pid)) d = Math.max(d, depthOf(b) + 1);
    onPath.delete(pid);
    known.set(pid, d);
    return d;
  };
  return depthOf;
}

/** How many sessions wait below a node: the distinct pids under it, itself excluded. */
export function waitingUnder(n: BlockingNode): number {
  const pids = new Set<number>();
  const walk = (x: BlockingNode): void => {
    for (const c of x.children) {
      pids.add(c.pid);
      walk(c);
    }
  };
  walk(n);
  pids.delete(n.pid);
  return pids.size;
}

/** Every node of the tree, depth first, with its depth: for indented text. */
export function flattenBlockingTree(roots: readonly BlockingNode[]): Array<{ node: BlockingNode; depth: number }> {
  const out: Array<{ node: BlockingNode; depth: number }> = [];
  const walk = (n: BlockingNode, depth: number): void => {
    out.push({ node: n, depth });
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

/**
 * A node of the blocking tree in words: `who` (pid, user@database, application) and `what` (what it waits for
 * and how long, or its state and transaction age, then its statement); `what` is empty for a pid not listed.
 */
export function blockingNodeParts(n: BlockingNode): { who: string; what: string } {
  const s = n.session;
  if (!s) return { who: n.pid === 0 ? '0 (a prepared transaction)' : `${n.pid} (not listed)`, what: '' };
  const who = `${n.pid} ${s.user ?? '?'}@${s.database ?? '?'}${s.application ? ` [${oneLine(s.application, 30)}]` : ''}`;
  if (n.repeated) return { who, what: '(shown in full elsewhere in this tree)' };
  const doing = s.blockedBy.length
    ? `waits ${formatAge(s.stateAgeS)} for ${waitLabel(s)}`
    : `${s.state ?? s.backendType ?? '?'}, transaction ${formatAge(s.xactAgeS) || 'none'}`;
  const also = n.alsoBlockedBy.length ? ` (also behind ${n.alsoBlockedBy.join(', ')})` : '';
  return { who, what: `${doing}${also}: ${oneLine(s.query, 70)}` };
}

/** A node of the blocking tree on one line (pgops activity --blocking, the Activity panel). */
export function blockingNodeLine(n: BlockingNode): string {
  const { who, what } = blockingNodeParts(n);
  return what ? `${who} ${what}` : who;
}

import { PgOpsError } from '../../core/errors';
import type { DiagContext, DiagNode, DiagTreeProvider } from '../views/diagTree';

/** The payload of the tree item a command was run on, checked; a clear error when run from elsewhere. */
export function itemPayload<P>(node: unknown, check: (p: unknown) => boolean, what: string): P {
  const p = (node as DiagNode<P> | undefined)?.payload;
  if (p === undefined || !check(p))
    throw new PgOpsError(
      'diag-no-item',
      `Choose ${what} in its view first`,
      "Run this command from the item's context menu.",
    );
  return p;
}

/** The live session of the profile an item came from (the active one may have changed since). */
export function sessionFor(view: DiagTreeProvider<unknown>, profileId: string): DiagContext {
  const ctx = view.context();
  if ('error' in ctx)
    throw new PgOpsError('diag-no-session', ctx.error, 'Connect the profile again and refresh the view.');
  if (ctx.profile.id !== profileId)
    throw new PgOpsError(
      'diag-other-session',
      'This item belongs to another connection than the active one',
      'Refresh the view and try again.',
    );
  return ctx;
}

/** Health checks on what runs out: WAL kept by inactive replication slots, and sequence ranges. */
import { num } from '../diag/queryable';
import { formatBytes, listSlots } from '../diag/replication';
import { quoteLiteral, quoteQualified } from '../sql';
import type { CheckContext, CheckOutcome, HealthStatus } from './healthModel';
import { judged, worseStatus } from './healthModel';

export async function checkReplicationSlots(ctx: CheckContext): Promise<CheckOutcome> {
  const slots = await listSlots(ctx.client, ctx.versionNum);
  const inactive = slots.filter((s) => !s.active).sort((a, b) => (b.retainedBytes ?? 0) - (a.retainedBytes ?? 0));
  const broken = slots.filter((s) => s.walStatus === 'lost' || !!s.invalidationReason || !!s.conflicting);
  const unreserved = slots.filter((s) => s.walStatus === 'unreserved');
  const worst = inactive[0];
  const retained = worst?.retainedBytes ?? 0;
  const warnAt = ctx.options.inactiveSlotBytes.warn;
  const dropFix = [...new Set([...broken, ...inactive.filter((s) => (s.retainedBytes ?? 0) >= (warnAt ?? Infinity))])]
    .map(
      (s) =>
        `SELECT pg_catalog.pg_drop_replication_slot(${quoteLiteral(s.slotName, { printable: true })});  ` +
        '-- only when its consumer is gone for good (a subscriber or standby using it must then be re-seeded)',
    )
    .join('\n');
  const outcome = judged(ctx.options, 'inactiveSlotBytes', retained, 'bytes', {
    message:
      (worst
        ? `${inactive.length} inactive slot(s) of ${slots.length}; ${worst.slotName} retains ${formatBytes(retained)} of WAL: ` +
          'an inactive slot keeps WAL (and, with an xmin, holds back vacuum) until its consumer returns or it is dropped.'
        : `${slots.length} replication slot(s), all active.`) +
      (broken.length ? ` Lost or invalidated: ${broken.map((s) => s.slotName).join(', ')}.` : '') +
      (unreserved.length
        ? ` About to lose their WAL (unreserved): ${unreserved.map((s) => s.slotName).join(', ')}.`
        : ''),
    fix: dropFix,
    details: inactive.slice(0, ctx.options.detailRows).map((s) => ({
      slot: s.slotName,
      type: s.slotType,
      walStatus: s.walStatus,
      retainedBytes: s.retainedBytes,
      inactiveSince: s.inactiveSince ?? null,
    })),
  });
  let status: HealthStatus = outcome.status;
  if (broken.length) status = worseStatus(status, 'fail');
  if (unreserved.length) status = worseStatus(status, 'warn');
  return { ...outcome, status, fix: status === 'ok' ? null : dropFix || outcome.fix };
}

/**
 * Sequences of this database by the share of their range used, most used first (pg_sequences, 10+:
 * last_value is NULL for a sequence never used or one this role may not read; cycling ones never run out).
 */
const sequencesSql = `SELECT s.schemaname::text AS schema, s.sequencename::text AS name, s.data_type::text AS data_type,
  s.last_value::float8 AS last_value, s.max_value::float8 AS max_value,
  100 * CASE WHEN s.increment_by > 0
    THEN (s.last_value::numeric - s.min_value) / NULLIF(s.max_value::numeric - s.min_value, 0)
    ELSE (s.max_value::numeric - s.last_value) / NULLIF(s.max_value::numeric - s.min_value, 0) END::float8 AS used_pct
FROM pg_catalog.pg_sequences s
WHERE NOT s.cycle AND s.last_value IS NOT NULL
ORDER BY used_pct DESC NULLS LAST, s.schemaname, s.sequencename
LIMIT $1`;

export async function checkSequences(ctx: CheckContext): Promise<CheckOutcome> {
  const rows = (await ctx.client.query(sequencesSql, [ctx.options.detailRows])).rows;
  const worst = rows[0];
  const pct = worst ? num(worst.used_pct) : 0;
  const name = worst ? quoteQualified(String(worst.schema), String(worst.name), { printable: true }) : '';
  return judged(ctx.options, 'sequencePct', pct, 'percent', {
    message: worst
      ? `The most used sequence of this database, ${String(worst.schema)}.${String(worst.name)} (${String(worst.data_type)}), ` +
        `has used ${Math.round(pct * 100) / 100}% of its range; nextval fails once it is used up.`
      : 'No sequence of this database has been used yet (or this role may not read them).',
    fix:
      worst && String(worst.data_type) !== 'bigint'
        ? `ALTER SEQUENCE ${name} AS bigint;  -- and ALTER TABLE … ALTER COLUMN … TYPE bigint for the columns it fills`
        : `Widen or reset the sequence and the columns it fills (ALTER SEQUENCE ${name || '…'} …).`,
    details: rows.map((r) => ({
      schema: String(r.schema),
      sequence: String(r.name),
      dataType: String(r.data_type),
      usedPct: Math.round(num(r.used_pct) * 100) / 100,
    })),
  });
}

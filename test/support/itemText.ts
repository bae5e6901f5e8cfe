import * as assert from 'node:assert/strict';
import type { ReportItem } from '../../src/core/report/model';

/** A plain-text report item's text; fails the test when the item is missing or its data is not text. */
export function itemText(item: ReportItem | undefined): string {
  assert.ok(item, 'the report has the item');
  if (typeof item.data !== 'string') assert.fail(`${item.header}: expected text, got ${JSON.stringify(item.data)}`);
  return item.data;
}

import * as assert from 'node:assert/strict';
import { confirmationMatches, needsTypedConfirmation } from '../../src/core/conn/production';

describe('conn: production confirmation rule', () => {
  it('asks for the typed name only on production profiles', () => {
    assert.equal(needsTypedConfirmation({ production: true }), true);
    assert.equal(needsTypedConfirmation({ production: false }), false);
    assert.equal(needsTypedConfirmation({}), false);
  });

  it('accepts exactly the profile name (surrounding spaces ignored, case kept)', () => {
    const p = { name: 'Billing Prod' };
    assert.equal(confirmationMatches(p, 'Billing Prod'), true);
    assert.equal(confirmationMatches(p, '  Billing Prod '), true);
    assert.equal(confirmationMatches(p, 'billing prod'), false);
    assert.equal(confirmationMatches(p, 'Billing'), false);
    assert.equal(confirmationMatches(p, ''), false);
    assert.equal(confirmationMatches(p, undefined), false);
  });
});

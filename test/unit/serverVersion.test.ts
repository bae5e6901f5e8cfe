import * as assert from 'node:assert/strict';
import { formatServerVersion } from '../../src/core/conn/serverVersion';

describe('formatServerVersion', () => {
  it('writes PostgreSQL 10 and later as major.minor', () => {
    assert.equal(formatServerVersion(180004), '18.4');
    assert.equal(formatServerVersion(130000), '13.0');
    assert.equal(formatServerVersion(170012), '17.12');
  });

  it('writes releases before 10 with their three parts', () => {
    assert.equal(formatServerVersion(90624), '9.6.24');
    assert.equal(formatServerVersion(80423), '8.4.23');
  });

  it('leaves a value that is not a version number as it is', () => {
    assert.equal(formatServerVersion(0), '0');
    assert.equal(formatServerVersion(Number.NaN), 'NaN');
  });
});

/**
 * The pure side of setting sweeps: `--set` parsing, the matrix and its back-and-forth order, how a
 * context decides the method, values checked and compared the way the server reads them (units,
 * boolean spellings, enum case), the plan's settings field, the `-c` option a value becomes, and the
 * per-cell summary. The server side runs in test/integration/benchSettings.test.ts.
 */
import * as assert from 'node:assert/strict';
import { sweepSchedule, validatePlan } from '../../src/core/bench/plan';
import type { SettingShape } from '../../src/core/bench/settingValues';
import {
  parseSetFlag,
  sameSettingValue,
  settingCells,
  settingMethod,
  settingNumber,
  settingValueProblem,
} from '../../src/core/bench/settingValues';
import type { IterationResult } from '../../src/core/report';
import { cellLabel, valueSummaryTable } from '../../src/core/report/repeats';
import { settingOption } from '../../src/core/sql';

const workMem: SettingShape = {
  name: 'work_mem',
  vartype: 'integer',
  unit: 'kB',
  enumvals: null,
  min: 64,
  max: 2147483647,
};
const sharedBuffers: SettingShape = { ...workMem, name: 'shared_buffers', unit: '8kB', min: 16, max: 1073741823 };
const delay: SettingShape = {
  name: 'bgwriter_delay',
  vartype: 'integer',
  unit: 'ms',
  enumvals: null,
  min: 10,
  max: 10000,
};
const costDelay: SettingShape = {
  name: 'vacuum_cost_delay',
  vartype: 'real',
  unit: 'ms',
  enumvals: null,
  min: 0,
  max: 100,
};
const jit: SettingShape = { name: 'jit', vartype: 'bool', unit: null, enumvals: null, min: null, max: null };
const syncCommit: SettingShape = {
  name: 'synchronous_commit',
  vartype: 'enum',
  unit: null,
  enumvals: ['local', 'remote_write', 'remote_apply', 'on', 'off'],
  min: null,
  max: null,
};

describe('--set NAME=V1,V2', () => {
  it('gives the lowercased name and the values in order', () => {
    assert.deepEqual(parseSetFlag('Work_Mem=64kB, 64MB'), { name: 'work_mem', values: ['64kB', '64MB'] });
    assert.deepEqual(parseSetFlag('pg_stat_statements.track=top,all'), {
      name: 'pg_stat_statements.track',
      values: ['top', 'all'],
    });
  });

  it('names the flag and the input when it is malformed, or the setting is one pgops will not sweep', () => {
    assert.throws(() => parseSetFlag('work_mem'), /--set "work_mem" is not NAME=V1,V2/);
    assert.throws(() => parseSetFlag('work_mem=', '--set-system'), /--set-system "work_mem=" is not NAME=V1,V2/);
    assert.throws(() => parseSetFlag('work_mem=1MB,,2MB'), /has an empty value/);
    assert.throws(() => parseSetFlag('work mem=1MB'), /names the setting "work mem", which is no setting name/);
    assert.throws(() => parseSetFlag('search_path=a,b'), /cannot sweep search_path: the plan sets it with searchPath/);
    assert.throws(() => parseSetFlag('default_transaction_read_only=on'), /cannot sweep default_transaction_read_only/);
  });
});

describe('the matrix of a settings sweep', () => {
  const plan = (extra: object) =>
    validatePlan({ values: [1, 4], durationS: 1, settings: [{ name: 'work_mem', values: ['4MB', '64MB'] }], ...extra });

  it('runs every cell × value, the first setting varying slowest, back and forth across repeats (A B B A)', () => {
    assert.deepEqual(
      settingCells([
        { name: 'a', values: ['1', '2'] },
        { name: 'b', values: ['x', 'y'] },
      ]),
      [
        { a: '1', b: 'x' },
        { a: '1', b: 'y' },
        { a: '2', b: 'x' },
        { a: '2', b: 'y' },
      ],
    );
    const order = sweepSchedule(plan({ repeat: 2 })).map((r) => `${r.cell.work_mem}/${r.value}/${r.repeat}`);
    assert.deepEqual(order, [
      '4MB/1/0',
      '4MB/4/0',
      '64MB/1/0',
      '64MB/4/0',
      '64MB/4/1',
      '64MB/1/1',
      '4MB/4/1',
      '4MB/1/1',
    ]);
    assert.deepEqual(
      sweepSchedule(validatePlan({ values: [2], durationS: 1 })).map((r) => r.cell),
      [{}],
      'one empty cell without settings',
    );
  });

  it('checks the plan field: names, values, methods, duplicates and the size of the matrix', () => {
    const bad = (settings: unknown, message: RegExp) =>
      assert.throws(() => validatePlan({ values: [1], durationS: 1, settings } as never), message);
    bad([{ name: 'work_mem', values: [] }], /settings\[0\]\.values must list the values as non-empty strings/);
    bad([{ name: 'work_mem', values: ['1MB', '1MB'] }], /settings\[0\]\.values lists a value twice/);
    bad(
      [{ name: 'work_mem', values: ['1MB'], method: 'restart' }],
      /settings\[0\]\.method must be "session" or "system"/,
    );
    bad(
      [
        { name: 'work_mem', values: ['1MB'] },
        { name: 'WORK_MEM', values: ['2MB'] },
      ],
      /settings\[1\]\.name names work_mem a second time/,
    );
    bad([{ name: 'work_mem', values: ['1MB'], unit: 'kB' }], /settings\[0\]\.unit is not a plan field/);
    bad([{ name: 'search_path', values: ['a'] }], /settings\[0\]\.name cannot sweep search_path/);
    const many = Array.from({ length: 40 }, (_, i) => `${i + 1}MB`);
    assert.throws(
      () => validatePlan({ values: [1, 2], durationS: 1, repeat: 13, settings: [{ name: 'work_mem', values: many }] }),
      /settings make 1040 runs \(cells × values × repeats\); at most 1000/,
    );
  });
});

describe('how a setting is applied, from its pg_settings context', () => {
  it('gives user, superuser and backend settings to the sessions unless ALTER SYSTEM is asked for', () => {
    for (const context of ['user', 'superuser', 'backend', 'superuser-backend'])
      assert.equal(settingMethod('x', context, undefined, false), 'session', context);
    assert.equal(settingMethod('work_mem', 'user', 'system', false), 'system');
  });

  it('uses ALTER SYSTEM for sighup settings and refuses them for the sessions alone', () => {
    assert.equal(settingMethod('bgwriter_delay', 'sighup', undefined, false), 'system');
    assert.throws(
      () => settingMethod('bgwriter_delay', 'sighup', 'session', false),
      /cannot be set for the benchmark’s sessions alone/,
    );
  });

  it('refuses postmaster settings without --allow-restart and internal ones always', () => {
    assert.throws(
      () => settingMethod('shared_buffers', 'postmaster', undefined, false),
      /shared_buffers \(context postmaster\) takes effect only when the server restarts; nothing was run/,
    );
    assert.equal(settingMethod('shared_buffers', 'postmaster', undefined, true), 'restart');
    assert.throws(
      () => settingMethod('block_size', 'internal', undefined, true),
      /block_size \(context internal\) cannot be changed/,
    );
  });
});

describe('setting values as the server reads them', () => {
  it('converts memory and time units into the setting’s own unit', () => {
    assert.equal(settingNumber(workMem, '64MB'), 65536);
    assert.equal(settingNumber(workMem, '65536'), 65536);
    assert.equal(settingNumber(workMem, '1GB'), 1048576);
    assert.equal(settingNumber(sharedBuffers, '128MB'), 16384);
    assert.equal(settingNumber(delay, '2s'), 2000);
    assert.equal(settingNumber(costDelay, '500us'), 0.5);
    assert.equal(settingNumber(workMem, '64ms'), undefined, 'a time unit for a memory setting');
    assert.equal(settingNumber(workMem, 'lots'), undefined);
  });

  it('names what is wrong with a value: range, enum, boolean, number', () => {
    assert.equal(settingValueProblem(workMem, '32kB'), 'is below the minimum 64kB');
    assert.equal(settingValueProblem(delay, '1min'), 'is above the maximum 10000ms');
    assert.match(settingValueProblem(syncCommit, 'sometimes') ?? '', /is none of local, remote_write/);
    assert.equal(settingValueProblem(jit, 'maybe'), 'is not on or off');
    assert.equal(
      settingValueProblem(workMem, 'x'),
      'is not a valid integer (a number, in kB unless it names its unit)',
    );
    assert.equal(settingValueProblem(syncCommit, 'OFF'), undefined);
    assert.equal(settingValueProblem(workMem, '4MB'), undefined);
  });

  it('takes the value SHOW gives as the one asked for when the server reads them alike', () => {
    assert.ok(sameSettingValue(workMem, '65536', '64MB'));
    assert.ok(sameSettingValue(delay, '1s', '1000ms'));
    assert.ok(sameSettingValue(jit, 'true', 'on'));
    assert.ok(sameSettingValue(syncCommit, 'OFF', 'off'));
    assert.ok(!sameSettingValue(workMem, '4MB', '64MB'));
    assert.ok(!sameSettingValue(jit, 'on', 'off'));
  });

  it('becomes a -c option with the whitespace and backslashes the server splits on escaped', () => {
    assert.equal(settingOption('work_mem', '64MB'), '-c work_mem=64MB');
    assert.equal(settingOption('application_name', 'a b\\c'), '-c application_name=a\\ b\\\\c');
    assert.throws(() => settingOption('x y', '1'), /not a setting name/);
  });
});

describe('the summary of a settings sweep', () => {
  const it_ = (index: number, mem: string, tps: number): IterationResult => ({
    index,
    value: 2,
    repeat: index % 2,
    settings: { work_mem: mem },
    clients: 2,
    status: 'complete',
    tps,
    latencyAvgMs: 2000 / tps,
    latencyStddevMs: null,
    initialConnectionMs: null,
    processed: null,
    failed: 0,
    skipped: 0,
  });

  it('summarizes every cell and value apart, the settings column first', () => {
    const t = valueSummaryTable([it_(0, '64kB', 100), it_(1, '64MB', 200), it_(2, '64MB', 210), it_(3, '64kB', 110)]);
    assert.equal(t.header[0], 'settings');
    assert.deepEqual(
      t.rows.map((r) => r.slice(0, 4)),
      [
        ['work_mem=64kB', 2, 2, 105],
        ['work_mem=64MB', 2, 2, 205],
      ],
    );
    assert.equal(cellLabel({ work_mem: '64kB', jit: 'off' }), 'work_mem=64kB, jit=off');
  });
});

/**
 * The machinery of the bad-input battery (cliBadInput.test.ts): one row per bad input, run as the
 * real `pgops` process in a fresh working folder with a fresh HOME, and the four promises checked
 * for every row — the exit code, a message naming the input, no stack trace (nor raw control
 * characters), and nothing written or lost — plus no secret of the case in anything printed.
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/servers';
import type { CliRun } from './cliProcess';
import { cliEnv, runCliProcess } from './cliProcess';

export interface CaseContext {
  /** The process's working folder: relative paths in `args` are relative to it. */
  work: string;
  /** The process's HOME: empty but for what `setup` puts there (no ~/.pgpass, no service file). */
  home: string;
  /** Writes a file under `work` (parents created) and returns its absolute path. */
  put(rel: string, content: string | Buffer, mode?: number): string;
  /** Secrets this case used (passwords, tokens): none may appear in stdout or stderr. */
  secrets: string[];
  /** Run after the case, pass or fail (servers to stop, …). */
  cleanup: Array<() => Promise<void>>;
  /** Values `setup` computes for `args`, `env` and `names` (a port, a password). */
  vars: Record<string, string>;
}

type Of<T> = T | ((c: CaseContext) => T);

export interface BadInput {
  name: string;
  args: Of<string[]>;
  expectCode: 1 | 2;
  /** What stderr must name: the file, the flag, the bad value or keyword. */
  names: Of<RegExp | string>;
  /** What the message says about it, anywhere in the output (findings of `hba lint` go to stdout). */
  says?: Of<RegExp>;
  env?: Of<NodeJS.ProcessEnv>;
  setup?: (c: CaseContext) => void | Promise<void>;
  /** For the rare case that keeps something by design: asserts exactly what changed instead of "nothing". */
  changes?: (c: CaseContext, changed: FolderChanges) => void;
  onStderr?: (c: CaseContext) => (errSoFar: string, child: ChildProcess) => void;
  timeoutMs?: number;
}

const resolve = <T>(v: Of<T>, c: CaseContext): T => (typeof v === 'function' ? (v as (c: CaseContext) => T)(c) : v);

/** Files bigger than this (the sparse "huge report") are compared by size and mtime, not read. */
const hashLimit = 64 * 1024 * 1024;

/** Every path under the roots with its type, mode, size and content hash. */
export function snapshot(roots: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (p: string): void => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) {
      seen.set(p, `link -> ${fs.readlinkSync(p)}`);
    } else if (st.isDirectory()) {
      seen.set(p, `dir ${mode}`);
      for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    } else if (st.isFile()) {
      const digest =
        st.size <= hashLimit
          ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')
          : `mtime ${st.mtimeMs}`;
      seen.set(p, `file ${mode} ${st.size} ${digest}`);
    } else {
      seen.set(p, `special ${mode}`);
    }
  };
  for (const r of roots) walk(r);
  return seen;
}

export interface FolderChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export function compareSnapshots(before: Map<string, string>, after: Map<string, string>): FolderChanges {
  return {
    added: [...after.keys()].filter((p) => !before.has(p)).sort(),
    removed: [...before.keys()].filter((p) => !after.has(p)).sort(),
    changed: [...after.keys()].filter((p) => before.has(p) && before.get(p) !== after.get(p)).sort(),
  };
}

/** A Node stack frame, an `Error:`-prefixed dump, an object printed as such, or Node's internals. */
const traceSigns: Array<[RegExp, string]> = [
  [/^\s*at\s.*(?:\(.*:\d+:\d+\)|:\d+:\d+)\s*$/m, 'a stack frame'],
  [/\b[A-Z]?\w*Error: /, 'an "...Error:" dump'],
  [/\[object Object\]/, '[object Object]'],
  [/node:internal|ERR_[A-Z_]{4,}/, 'Node internals'],
];

/** What a terminal would act on: C0 controls but tab and newline, DEL, C1 controls, bidi overrides. */
const terminalControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function assertOutcome(c: BadInput, ctx: CaseContext, run: CliRun, changed: FolderChanges): void {
  const all = `${run.out}\n${run.err}`;
  const shown = `exit ${run.code}${run.signal ? ` (signal ${run.signal})` : ''}\n--- stderr\n${run.err}\n--- stdout\n${run.out}`;
  assert.equal(run.code, c.expectCode, `exit code\n${shown}`);
  const names = resolve(c.names, ctx);
  assert.ok(
    typeof names === 'string' ? run.err.includes(names) : names.test(run.err),
    `stderr names the input (${String(names)})\n${shown}`,
  );
  const says = c.says && resolve(c.says, ctx);
  if (says) assert.match(all, says, `the message says what is wrong\n${shown}`);
  for (const [sign, what] of traceSigns) assert.doesNotMatch(all, sign, `no stack trace: found ${what}\n${shown}`);
  assert.doesNotMatch(
    all,
    terminalControls,
    `nothing printed drives the terminal (raw control characters)\n${JSON.stringify(all)}`,
  );
  for (const secret of ctx.secrets) assert.ok(!all.includes(secret), `a secret of the case is printed\n${shown}`);
  if (c.changes) c.changes(ctx, changed);
  else
    assert.deepEqual(
      changed,
      { added: [], removed: [], changed: [] },
      'nothing is written or lost in the working folder or HOME',
    );
}

/** Runs one row: fresh folders, setup, snapshot, the real CLI, snapshot, the checks, cleanup. */
export async function runBadInput(c: BadInput, shared: { secrets?: () => string[] } = {}): Promise<void> {
  const work = tempDir('badinput-work');
  const home = tempDir('badinput-home');
  const ctx: CaseContext = {
    work,
    home,
    secrets: [...(shared.secrets?.() ?? [])],
    cleanup: [],
    vars: {},
    put: (rel, content, mode) => {
      const file = path.join(work, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      if (mode !== undefined) fs.chmodSync(file, mode);
      return file;
    },
  };
  try {
    await c.setup?.(ctx);
    const before = snapshot([work, home]);
    const run = await runCliProcess(resolve(c.args, ctx), {
      env: cliEnv(home, c.env && resolve(c.env, ctx)),
      cwd: work,
      timeoutMs: c.timeoutMs ?? 60_000,
      onStderr: c.onStderr?.(ctx),
    });
    ctx.secrets.push(...(shared.secrets?.() ?? []));
    assertOutcome(c, ctx, run, compareSnapshots(before, snapshot([work, home])));
  } finally {
    for (const f of ctx.cleanup.reverse()) await f();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Bytes no text editor writes: escape sequences, C1 CSI, NUL, invalid UTF-8, from a fixed seed (the same every run). */
export function garbage(size: number): Buffer {
  const hostile = Buffer.from('\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202e', 'utf8');
  const bytes = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return Buffer.concat([hostile, Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a]), bytes]);
}

import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { PgOpsError } from '../core/errors';
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * One `pgops` subcommand. `run` returns the exit code: 0 success, 1 user-level failure (directly when
 * the command does no asynchronous work).
 */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Every flag it accepts, as parseArgs options: the one list that parsing and shell completion read. */
  options: Options;
  /** Its actions, the word after the command (`report show|html`), when it has some. */
  actions?: readonly string[];
  run(argv: string[], io: CliIo): number | Promise<number>;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Environment the command resolves PG* variables and files from. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stderr is a terminal: long commands then print progress a person watches (never into a pipe or a log). */
  errIsTerminal?: boolean;
  /**
   * Asks the person at the terminal (the question on stderr) and resolves to the answer. Absent when stdin is
   * not a terminal: a command that needs a confirmation then refuses instead of waiting for one.
   */
  ask?: (question: string) => Promise<string>;
}

/** Bad usage: exit code 2 with the command's usage text. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** parseArgs with our error type: unknown or malformed flags become a UsageError. */
export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function requireFlag<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing required option --${flag}`);
  return value;
}

/** Parses a positive integer flag, naming the flag when it is not one. */
export function intFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

/** A file a flag names, checked up front: it exists, is a file and can be read. */
export function readableFile(file: string, flag: string): string {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new PgOpsError(
      'cli-file',
      `${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read'}`,
      `Give ${flag} a readable file.`,
    );
  }
  if (!fs.statSync(file).isFile())
    throw new PgOpsError('cli-file', `${flag} ${file}: not a file`, `Give ${flag} a readable file.`);
  return file;
}

/**
 * A yes/no confirmation of a destructive action: asked when stdin is a terminal, otherwise bad usage naming the
 * flag that confirms it up front. True only for an explicit yes.
 */
export async function confirmAction(io: CliIo, question: string, confirmFlag: string): Promise<boolean> {
  if (!io.ask) throw new UsageError(`${question}: stdin is not a terminal to ask on; pass ${confirmFlag} to confirm`);
  return /^\s*y(es)?\s*$/i.test(await io.ask(`${question}? [y/N] `));
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { Report } from './model';
import { redactReport } from './redact';

/**
 * Writes a file so that readers see either the old content or the new one, never half of it:
 * a temp file in the same directory, fsync, rename over the target, fsync the directory.
 * A missing folder is created unless `createFolder` is false; a folder is never replaced.
 */
export function writeFileAtomic(target: string, content: string, opts: { createFolder?: boolean } = {}): void {
  const dir = path.dirname(path.resolve(target));
  if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) {
    throw new PgOpsError(
      'report.write',
      `cannot write ${target}: it is a folder`,
      'Give a file name (the folder stays as it is).',
    );
  }
  if (opts.createFolder === false && !fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new PgOpsError(
      'report.write',
      `cannot write ${target}: the folder ${dir} does not exist`,
      'Create the folder first, or write somewhere else.',
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new PgOpsError(
      'report.write',
      `cannot write ${target}: ${(err as Error).message}`,
      'Check that the folder exists and is writable.',
      { cause: err },
    );
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename has happened either way.
  }
}

/** The report as JSON (4-space indent, like pg_perfbench), redacted, written atomically. */
export function writeReportAtomic(target: string, report: Report): void {
  writeFileAtomic(target, `${JSON.stringify(redactReport(report), null, 4)}\n`);
}

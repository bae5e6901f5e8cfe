/** Load generators for the diagnostics tests: real pgbench and plain SQL against a test server. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { findPgbench } from '../../src/core/bench/findPgbench';
import type { TestServer } from '../support/servers';

const run = promisify(execFile);

/** Runs the real pgbench (argument array, no shell) against `database` on the server, over TCP with SCRAM. */
export async function pgbench(srv: TestServer, database: string, args: string[]): Promise<string> {
  const bin = findPgbench().path;
  const { stdout, stderr } = await run(bin, ['-h', srv.host, '-p', String(srv.port), '-U', srv.user, ...args, database], {
    env: { ...process.env, PGPASSWORD: srv.password, PGAPPNAME: 'pgops diag test load' }, timeout: 120_000,
  });
  return `${stdout}\n${stderr}`;
}

/** Creates (or recreates) a database and returns an admin client on it. */
export async function freshDatabase(srv: TestServer, name: string): Promise<Client> {
  const admin = await srv.admin();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return srv.admin(name);
}

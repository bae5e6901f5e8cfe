/**
 * Activity, blocking, cancel and terminate against real sessions: each test opens its own sessions (named by
 * application_name) in its own database and finds them by pid, so other tests' sessions do not matter.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { Client } from 'pg';
import { Client as PgClient } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { PgOpsError } from '../../src/core/errors';
import type { ActivitySession, ActivitySnapshot } from '../../src/core/ops/activity';
import { readActivity, sessionFlags } from '../../src/core/ops/activity';
import { explainSessionQuery } from '../../src/core/ops/activityExplain';
import { blockingTree } from '../../src/core/ops/blocking';
import { cancelBackend, terminateBackend } from '../../src/core/ops/signal';
import { forEachServer, tempDir } from '../support/servers';
import { cliEnv, runCliProcess } from './cliProcess';
import { until } from './diagSupport';

const db = 'pgops_ops_activity';
const plainRole = 'pgops_ops_plain';
const otherRole = 'pgops_ops_other';

/** A session of the test: a plain client over the Unix socket whose connection errors are recorded, not thrown. */
interface TestSession {
  client: Client;
  pid: number;
  errors: Error[];
}

forEachServer('ops activity, blocking, cancel and terminate', (srv, major) => {
  const password = crypto.randomBytes(12).toString('base64url');
  const version = major * 10000;
  let reader: Client;
  let admin: Client;
  let home: string;
  const opened: TestSession[] = [];

  async function connect(app: string, user = 'postgres'): Promise<TestSession> {
    const client = new PgClient({ host: srv().socketDir, port: srv().port, user, database: db, application_name: app });
    const s: TestSession = { client, pid: 0, errors: [] };
    client.on('error', (e) => s.errors.push(e));
    await client.connect();
    s.pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    opened.push(s);
    return s;
  }

  /** Reads until `pick` finds what the test waits for in the list (idle sessions included when asked). */
  function untilSeen<T>(what: string, pick: (snap: ActivitySnapshot) => T | undefined, includeIdle = false) {
    return until(what, async () => pick(await readActivity(reader, version, { includeIdle })));
  }

  const conn = () => `host=127.0.0.1 port=${srv().port} user=postgres dbname=${db}`;
  const pgops = (...args: string[]) =>
    runCliProcess(args, { env: cliEnv(home, { PGPASSWORD: srv().password }), timeoutMs: 60_000 });

  /** A session running pg_sleep(600), seen sleeping; `sleeping` resolves to the error that ends it. */
  async function startSleep(app: string) {
    const s = await connect(app);
    const sleeping = s.client.query('SELECT pg_sleep(600)').then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    await untilSeen('the sleep', (x) => x.sessions.find((y) => y.pid === s.pid && y.waitEvent === 'PgSleep'));
    return { s, sleeping };
  }

  const byPid = (snap: ActivitySnapshot, pid: number): ActivitySession => {
    const s = snap.sessions.find((x) => x.pid === pid);
    assert.ok(s, `PID ${pid} is in the list`);
    return s;
  };

  before(async () => {
    home = tempDir('ops-activity');
    admin = await srv().admin();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    for (const role of [plainRole, otherRole]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.query(`ALTER DATABASE ${db} SET idle_in_transaction_session_timeout = '1h'`);
    for (const role of [plainRole, otherRole]) await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const setup = await srv().admin(db);
    try {
      await setup.query('CREATE TABLE ops_chain (id int PRIMARY KEY, v int)');
      await setup.query('INSERT INTO ops_chain SELECT g, 0 FROM generate_series(1, 10) g');
      await setup.query(`GRANT ALL ON ops_chain TO ${plainRole}, ${otherRole}`);
    } finally {
      await setup.end();
    }
    reader = await openTargetSession(srv().target({ database: db }));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.client.end().catch(() => undefined)));
  });

  after(async () => {
    await reader?.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    for (const role of [plainRole, otherRole]) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('shows a three-session blocking chain with its blockers, the lock each waits for and the tree', async () => {
    const [a, b, c] = await Promise.all([connect('ops chain A'), connect('ops chain B'), connect('ops chain C')]);
    await a.client.query('BEGIN');
    await a.client.query('UPDATE ops_chain SET v = v + 1 WHERE id = 1');
    await b.client.query('BEGIN');
    const bLocked = b.client.query('LOCK TABLE ops_chain IN ACCESS EXCLUSIVE MODE');
    await untilSeen('B to wait for A', (snap) => snap.sessions.find((s) => s.pid === b.pid && s.blockedBy.length));
    const cRead = c.client.query<{ n: string }>('SELECT count(*) AS n FROM ops_chain');
    const snap = await untilSeen('C to wait behind B', (x) =>
      x.sessions.some((s) => s.pid === c.pid && s.blockedBy.length) ? x : undefined,
    );
    try {
      const [sa, sb, sc] = [byPid(snap, a.pid), byPid(snap, b.pid), byPid(snap, c.pid)];
      assert.equal(sa.state, 'idle in transaction');
      assert.deepEqual(sa.blockedBy, []);
      assert.deepEqual(sb.blockedBy, [a.pid]);
      assert.deepEqual(sc.blockedBy, [b.pid]);
      assert.equal(sb.waitEventType, 'Lock');
      assert.deepEqual(
        { ...sb.waitingFor, relationOid: undefined },
        {
          locktype: 'relation',
          mode: 'AccessExclusiveLock',
          relation: 'public.ops_chain',
          relationOid: undefined,
          transactionId: null,
        },
      );
      assert.ok((sb.waitingFor?.relationOid ?? 0) > 0);
      assert.equal(sc.waitingFor?.mode, 'AccessShareLock');
      assert.equal(sc.waitingFor?.relation, 'public.ops_chain');
      assert.equal(sa.waitingFor, null);
      assert.match(sb.query ?? '', /LOCK TABLE ops_chain IN ACCESS EXCLUSIVE MODE/);
      assert.equal(sb.application, 'ops chain B');
      assert.equal(sb.user, 'postgres');
      assert.equal(sb.database, db);
      assert.equal(sb.backendType, 'client backend');
      assert.ok(sb.xactAgeS !== null && sb.xactAgeS >= 0 && sb.queryAgeS !== null && sb.queryAgeS >= 0);
      assert.equal(
        snap.sessions.some((s) => s.isOwn),
        false,
        'own backend left out by default',
      );

      const root = blockingTree(snap.sessions).find((n) => n.pid === a.pid);
      assert.ok(root, 'A is a root of the blocking tree');
      assert.equal(root.session?.application, 'ops chain A');
      assert.deepEqual(
        root.children.map((n) => n.pid),
        [b.pid],
      );
      assert.deepEqual(
        root.children[0].children.map((n) => [n.pid, n.children.length, n.repeated]),
        [[c.pid, 0, false]],
      );

      const text = await pgops('activity', '--conn', conn(), '--blocking');
      assert.equal(text.code, 0, text.err);
      const lines = text.out.split('\n');
      const at = lines.findIndex((l) => l.startsWith(`${a.pid} postgres@${db} [ops chain A] idle in transaction`));
      assert.ok(at > 0, text.out);
      assert.match(
        lines[at + 1],
        new RegExp(
          `^  └ ${b.pid} postgres@${db} \\[ops chain B\\] waits .* for Lock/relation: AccessExclusiveLock on public\\.ops_chain: LOCK TABLE`,
        ),
      );
      assert.match(lines[at + 2], new RegExp(`^    └ ${c.pid} .* AccessShareLock on public\\.ops_chain: SELECT count`));
    } finally {
      await a.client.query('ROLLBACK');
      await bLocked;
      await b.client.query('COMMIT');
      assert.equal((await cRead).rows[0].n, '10', 'C reads once B is done');
    }
  });

  it('flags a session idle in a transaction against a low threshold and reports idle_in_transaction_session_timeout', async () => {
    const d = await connect('ops idle in transaction');
    await d.client.query('BEGIN');
    await d.client.query('SELECT 1');
    const low = { longTransactionS: 3600, idleInTransactionS: 0.3 };
    const { snap, s } = await untilSeen('the idle transaction to pass 0.3 s', (x) => {
      const found = x.sessions.find((y) => y.pid === d.pid);
      return found && sessionFlags(found, low).includes('idle-in-transaction') ? { snap: x, s: found } : undefined;
    });
    assert.equal(s.state, 'idle in transaction');
    assert.deepEqual(sessionFlags(s, { longTransactionS: 3600, idleInTransactionS: 3600 }), []);
    assert.deepEqual(sessionFlags(s, { longTransactionS: 0.3, idleInTransactionS: 3600 }), ['long-transaction']);
    assert.equal(snap.idleInTransactionSessionTimeoutMs, 3_600_000, 'the database setting, as the session sees it');
    assert.equal(snap.transactionTimeoutMs === null, major < 17, 'transaction_timeout exists from 17 on');
    await d.client.query('COMMIT');
    const after = await readActivity(reader, version);
    assert.equal(
      after.sessions.some((x) => x.pid === d.pid),
      false,
      'idle sessions are left out by default',
    );
    assert.ok((await readActivity(reader, version, { includeIdle: true })).sessions.some((x) => x.pid === d.pid));
    assert.ok((await readActivity(reader, version, { includeOwn: true })).sessions.some((x) => x.isOwn));
  });

  it('cancel ends a running pg_sleep: the session gets the cancel error and stays connected', async () => {
    const { s, sleeping } = await startSleep('ops sleeper');
    assert.equal(await cancelBackend(reader, s.pid), true);
    const err = await sleeping;
    assert.ok(err, 'the sleep ended in an error');
    assert.equal(err.code, '57014');
    assert.match(err.message, /canceling statement due to user request/);
    assert.equal((await s.client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
  });

  it('terminate ends the blocker: its connection is closed and the session waiting for its row proceeds', async () => {
    const [a, b] = await Promise.all([connect('ops term A'), connect('ops term B')]);
    await a.client.query('BEGIN');
    await a.client.query('UPDATE ops_chain SET v = v + 1 WHERE id = 2');
    const xid = (
      await a.client.query<{ x: string }>(
        'SELECT backend_xid::text AS x FROM pg_stat_activity WHERE pid = pg_backend_pid()',
      )
    ).rows[0].x;
    const bUpdate = b.client.query('UPDATE ops_chain SET v = v + 10 WHERE id = 2');
    const snap = await untilSeen('B to wait for A', (x) =>
      x.sessions.some((s) => s.pid === b.pid && s.blockedBy.length) ? x : undefined,
    );
    const sb = byPid(snap, b.pid);
    assert.deepEqual(sb.blockedBy, [a.pid]);
    assert.deepEqual(sb.waitingFor, {
      locktype: 'transactionid',
      mode: 'ShareLock',
      relation: null,
      relationOid: null,
      transactionId: xid,
    });

    assert.equal(await terminateBackend(reader, a.pid), true);
    assert.equal((await bUpdate).rowCount, 1, 'B updates the row once A is gone');
    await untilSeen("A's backend to exit", (x) => (x.sessions.some((s) => s.pid === a.pid) ? undefined : true), true);
    await assert.rejects(a.client.query('SELECT 1'));
    const v = await b.client.query<{ v: number }>('SELECT v FROM ops_chain WHERE id = 2');
    assert.equal(v.rows[0].v, 10, "A's update rolled back with its session");
  });

  it("explains a plain role's refusal to signal another role's session, and works once pg_signal_backend is granted", async () => {
    const other = await connect('ops other role', otherRole);
    const plain = await openTargetSession(srv().target({ user: plainRole, password, database: db }));
    try {
      await assert.rejects(cancelBackend(plain, other.pid), (e: unknown) => {
        assert.ok(PgOpsError.is(e, 'signal-denied'), String(e));
        assert.match(e.message, new RegExp(`PID ${other.pid}: the server refused`));
        assert.match(e.hint ?? '', /GRANT pg_signal_backend TO <your role>/);
        assert.match(e.hint ?? '', new RegExp(`owns PID ${other.pid} \\(${otherRole}\\)`));
        return true;
      });
      await admin.query(`GRANT pg_signal_backend TO ${plainRole}`);
      assert.equal(await cancelBackend(plain, other.pid), true);
      assert.equal((await other.client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await admin.query(`REVOKE pg_signal_backend FROM ${plainRole}`);
      await plain.end();
    }
  });

  it('refuses its own backend, a server process (the checkpointer) and a pid that is no backend, naming the pid', async () => {
    const own = (await reader.query<{ p: number }>('SELECT pg_catalog.pg_backend_pid() AS p')).rows[0].p;
    const ckpt = (
      await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
    ).rows[0].pid;
    const refused = (code: string, text: RegExp) => (e: unknown) => {
      assert.ok(PgOpsError.is(e, code), String(e));
      assert.match(e.message, text);
      return true;
    };
    await assert.rejects(terminateBackend(reader, own), refused('signal-own', new RegExp(`PID ${own} is this`)));
    await assert.rejects(cancelBackend(reader, own), refused('signal-own', new RegExp(`PID ${own}`)));
    await assert.rejects(
      terminateBackend(reader, ckpt),
      refused('signal-not-client', new RegExp(`PID ${ckpt} is a checkpointer, not a client backend`)),
    );
    await assert.rejects(cancelBackend(reader, ckpt), refused('signal-not-client', new RegExp(`PID ${ckpt}`)));
    await assert.rejects(
      cancelBackend(reader, 2 ** 31 - 1),
      refused('signal-not-backend', /PID 2147483647 is not a backend of this server/),
    );
    const still = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND backend_type = 'checkpointer'", [
      ckpt,
    ]);
    assert.equal(still.rowCount, 1, 'the checkpointer runs on');
    assert.ok((await readActivity(reader, version)).ownPid === own, 'the reading session is still usable');
  });

  it("EXPLAINs a session's statement without running it: generic plan on 16+, plain before; a planted ANALYZE is refused", async () => {
    const sleeper = await startSleep('ops explain sleeper');
    const writer = await connect('ops explain writer');
    const count = async () =>
      (await reader.query<{ n: number }>('SELECT count(*)::int AS n FROM public.ops_chain')).rows[0]?.n;
    await writer.client.query('INSERT INTO ops_chain SELECT max(id) + 1, 0 FROM ops_chain');
    const rowsBefore = await count();
    const planted = await connect('ops explain planted');
    await planted.client.query('ANALYZE DELETE FROM ops_chain').catch(() => undefined);
    const snap = await readActivity(reader, version, { includeIdle: true });
    const plan = await explainSessionQuery(reader, version, byPid(snap, sleeper.s.pid));
    assert.match(plan, /^Result/);
    // the writer's last statement is an INSERT: its plan is shown on the read-only session, nothing is inserted
    const insertPlan = await explainSessionQuery(reader, version, byPid(snap, writer.pid));
    assert.match(insertPlan, /Insert on ops_chain/);
    await assert.rejects(
      explainSessionQuery(reader, version, byPid(snap, planted.pid)),
      (e: unknown) => PgOpsError.is(e) && e.code === 'explain-kind' && /runs "ANALYZE"/.test(e.message),
    );
    const other = { ...byPid(snap, sleeper.s.pid), database: 'postgres' };
    await assert.rejects(
      explainSessionQuery(reader, version, other),
      (e: unknown) =>
        PgOpsError.is(e) && e.code === 'explain-database' && /Connect a profile to "postgres"/.test(e.hint ?? ''),
    );
    assert.equal(await count(), rowsBefore, 'neither EXPLAIN ran its statement');
    // the plans were taken as the statements' role with its search_path, for the EXPLAIN alone
    const after = await reader.query<{ path: string; who: string }>(
      "SELECT pg_catalog.current_setting('search_path') AS path, current_user AS who",
    );
    assert.deepEqual(after.rows[0], { path: '"pg_catalog","pg_temp"', who: 'postgres' });
    await writer.client.query('DELETE FROM ops_chain WHERE id > 10');
    await cancelBackend(reader, sleeper.s.pid);
    await sleeper.sleeping;
  });

  describe('CLI', () => {
    it('activity --json: an array of sessions with the documented fields, statement texts redacted', async () => {
      const s = await connect('ops cli listed');
      await s.client.query('BEGIN');
      await s.client.query(`ALTER ROLE ${otherRole} PASSWORD '${password}'`);
      const r = await pgops('activity', '--conn', conn(), '--json', '--all');
      assert.equal(r.code, 0, r.err);
      assert.ok(!r.out.includes(password), 'no password in the output');
      const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
      assert.ok(Array.isArray(rows));
      const row = rows.find((x) => x.pid === s.pid);
      assert.ok(row, 'the session is listed');
      for (const key of [
        'pid',
        'user',
        'database',
        'application',
        'state',
        'waitEventType',
        'waitEvent',
        'queryAgeS',
        'xactAgeS',
        'blockedBy',
        'query',
      ])
        assert.ok(key in row, `${key} in ${JSON.stringify(row)}`);
      assert.equal(row.application, 'ops cli listed');
      assert.equal(row.state, 'idle in transaction');
      assert.deepEqual(row.blockedBy, []);
      assert.match(String(row.query), new RegExp(`ALTER ROLE ${otherRole} PASSWORD`));
      assert.equal(rows.filter((x) => x.application === 'pgops (cli)').length, 0, "the CLI's own session is left out");
      const text = await pgops('activity', '--conn', conn(), '--all', '--idle-xact', '0');
      assert.equal(text.code, 0, text.err);
      const line = text.out.split('\n').find((l) => l.trimStart().startsWith(`${s.pid} `));
      assert.match(line ?? text.out, /ops cli listed\s+idle in transaction .*idle-in-transaction\s+ALTER ROLE/);
      assert.ok(!text.out.includes(password), 'no password in the text output');
      await s.client.query('ROLLBACK');

      const tree = await pgops('activity', '--conn', conn(), '--blocking', '--json');
      assert.equal(tree.code, 0, tree.err);
      assert.ok(Array.isArray(JSON.parse(tree.out)));
    });

    it('cancel without --yes on a non-terminal exits 2 saying to pass --yes and leaves the session alone', async () => {
      const { s, sleeping } = await startSleep('ops cli sleeper');
      const r = await pgops('cancel', '--conn', conn(), '--pid', String(s.pid));
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /stdin is not a terminal to ask on; pass --yes to confirm/);
      const still = await readActivity(reader, version);
      assert.equal(byPid(still, s.pid).waitEvent, 'PgSleep', 'still sleeping');
      const bad = await pgops('cancel', '--conn', conn(), '--pid', 'abc', '--yes');
      assert.equal(bad.code, 2, bad.err);
      assert.match(bad.err, /--pid must be a process id \(a positive integer\), got "abc"/);
      const yes = await pgops('cancel', '--conn', conn(), '--pid', String(s.pid), '--yes');
      assert.equal(yes.code, 0, yes.err);
      assert.equal((await sleeping)?.code, '57014');
    });

    it('terminate --yes ends the session; a server process exits 1 naming its pid', async () => {
      const s = await connect('ops cli victim');
      const r = await pgops('terminate', '--conn', conn(), '--pid', String(s.pid), '--yes');
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trim(), `terminated PID ${s.pid}`);
      await untilSeen('the session to end', (x) => (x.sessions.some((y) => y.pid === s.pid) ? undefined : true), true);
      await assert.rejects(s.client.query('SELECT 1'));
      const ckpt = (
        await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
      ).rows[0].pid;
      const refused = await pgops('terminate', '--conn', conn(), '--pid', String(ckpt), '--yes');
      assert.equal(refused.code, 1, refused.err);
      assert.match(refused.err, new RegExp(`PID ${ckpt} is a checkpointer, not a client backend`));
    });
  });
});

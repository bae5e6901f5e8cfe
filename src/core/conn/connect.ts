import { Client } from 'pg';
import { CancelledError, PgOpsError, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import { classifyFailure, combineFailures } from './failures';
import type { AttemptFailure } from './failures';
import type { TargetSessionAttrs } from './params';
import type { HostSpec, ResolvedConnection } from './resolve';
import { describeHost, pgpassFor } from './resolve';
import type { ConnectionTarget, SessionSafety } from './session';
import { defaultSafety, startupOptions } from './session';
import type { RequestedAuth } from './requireAuth';
import { channelBindingViolation, requireAuthViolation } from './requireAuth';
import type { SslAttempt } from './tls';
import { sslAttempts } from './tls';

/** A password or token from outside libpq's own sources: Secret Storage, a password command. */
export interface CredentialSource {
  /** Called only when the server asks for a password. */
  get(): Promise<string | undefined>;
  /** Forget a cached value after the server rejected it; the next get() fetches a fresh one. */
  invalidate?(): void;
  /** Shown in messages, e.g. "Secret Storage" or "password command". */
  label: string;
}

export interface ConnectOptions {
  safety?: SessionSafety;
  credential?: CredentialSource;
  logger?: Logger;
  signal?: AbortSignal;
  /** For load_balance_hosts=random; tests pass a seeded one. */
  random?: () => number;
  /** Turns an authentication failure into advice from the server's pg_hba rules, when one is known. */
  explainAuthFailure?: (f: AttemptFailure) => Promise<{ message: string; hint: string } | undefined>;
}

/** What a session is, for Test Connection and the Connections view. Never holds a secret. */
export interface SessionInfo {
  host: HostSpec;
  description: string;
  tls: { inUse: boolean; verified: 'none' | 'ca' | 'full'; protocol?: string; cipher?: string };
  /** How the server authenticated us: scram-sha-256, md5, password, or (16+) system_user's method. */
  authMethod: string;
  passwordSource?: string;
  serverVersionNum: number;
}

export interface Connected {
  client: Client;
  info: SessionInfo;
  /** The endpoint chosen, for tools that need one (pgbench): includes the password when one was used. */
  target: ConnectionTarget;
}

/** The default wait per attempt when connect_timeout is not set: pgops never waits forever. */
export const fallbackConnectTimeoutMs = 10_000;

/**
 * Opens a diagnostic session on the first host that accepts us and has the session type
 * target_session_attrs asks for, trying hosts in order (shuffled for load_balance_hosts=random)
 * and each host's TLS attempts in sslmode's order. Fails with every attempt named.
 */
export async function connectResolved(r: ResolvedConnection, opts: ConnectOptions = {}): Promise<Connected> {
  const logger = opts.logger ?? silentLogger;
  refuseUnsupported(r);
  const hosts = r.loadBalance ? shuffle(r.hosts, opts.random ?? Math.random) : r.hosts;
  const failures: AttemptFailure[] = [];
  const passes: TargetSessionAttrs[] =
    r.targetSessionAttrs === 'prefer-standby' ? ['standby', 'any'] : [r.targetSessionAttrs];
  const warned = r.warnings.length;
  try {
    for (const want of passes) {
      for (const h of hosts) {
        throwIfAborted(opts.signal);
        const c = await tryHost(r, h, want, opts, failures, logger);
        if (c) return c;
      }
    }
    throw await combineFailures(r, failures, opts.explainAuthFailure);
  } finally {
    // libpq prints these (an ignored pgpass…) on stderr; ours go to the caller's log.
    for (const w of r.warnings.slice(warned)) logger.warn(w);
  }
}

async function tryHost(
  r: ResolvedConnection,
  h: HostSpec,
  want: TargetSessionAttrs,
  opts: ConnectOptions,
  failures: AttemptFailure[],
  logger: Logger,
): Promise<Connected | undefined> {
  const attempts = sslAttempts(r, h);
  for (let i = 0; i < attempts.length; i++) {
    const attempt = attempts[i];
    let retriedCredential = false;
    for (;;) {
      const outcome = await tryOnce(r, h, attempt, want, opts);
      if ('connected' in outcome) return outcome.connected;
      const f = outcome.failure;
      failures.push(f);
      logger.debug(`connect ${f.where}${attempt.ssl ? ' (TLS)' : ''}: ${f.reason}`);
      if (
        f.kind === 'auth' &&
        f.passwordSource === opts.credential?.label &&
        opts.credential?.invalidate &&
        !retriedCredential
      ) {
        // A credential command's token may have expired: fetch a fresh one and try once more.
        opts.credential.invalidate();
        retriedCredential = true;
        logger.info(
          `${f.where}: authentication failed with the ${opts.credential.label} credential; fetching a fresh one`,
        );
        continue;
      }
      break;
    }
    const last = failures[failures.length - 1];
    // Network failures and a wrong session type are about the host, not the TLS mode: go to the next host.
    if (last.kind === 'network' || last.kind === 'session-type' || last.kind === 'cancelled') {
      if (last.kind === 'cancelled') throw new CancelledError();
      return undefined;
    }
  }
  return undefined;
}

type Outcome = { connected: Connected } | { failure: AttemptFailure };

async function tryOnce(
  r: ResolvedConnection,
  h: HostSpec,
  attempt: SslAttempt,
  want: TargetSessionAttrs,
  opts: ConnectOptions,
): Promise<Outcome> {
  const safety = opts.safety ?? defaultSafety;
  const where = describeHost(r, h);
  let authMethod = '';
  let saslOffered: string[] | undefined;
  // Checked when the server asks, before any password leaves this process (libpq's require_auth, channel_binding).
  const gate = (): void => {
    const requested: RequestedAuth =
      authMethod === 'SASL' ? 'scram-sha-256' : authMethod === 'md5' ? 'md5' : 'password';
    const why =
      requireAuthViolation(r.params.require_auth, requested) ??
      (authMethod === 'SASL'
        ? channelBindingViolation(r.params.channel_binding, saslOffered, attempt.ssl !== false)
        : undefined);
    if (why)
      throw new PgOpsError(
        'conn-require-auth',
        why,
        'The server authenticates differently than require_auth/channel_binding allow: check the server or relax the setting.',
      );
  };
  const pw = passwordPlan(r, h, opts.credential, gate);
  // The read-only guard goes on after the session-type check: it would make every server look read-only.
  const readOnlyAtStartup = safety.readOnly && want === 'any';
  const client = new Client({
    host: h.hostaddr ?? h.host,
    port: h.port,
    user: r.user,
    database: r.dbname,
    password: pw.provide,
    ssl: attempt.ssl === false ? false : { ...attempt.ssl },
    sslnegotiation: r.params.sslnegotiation === 'direct' ? 'direct' : 'postgres',
    application_name: r.params.application_name || safety.applicationName || r.params.fallback_application_name,
    options: startupOptions(r.params.options, { ...safety, readOnly: readOnlyAtStartup }),
    connectionTimeoutMillis: r.connectTimeoutMs ?? fallbackConnectTimeoutMs,
    keepAlive: r.params.keepalives !== '0',
    enableChannelBinding: attempt.ssl !== false && r.params.channel_binding !== 'disable',
    client_encoding: r.params.client_encoding,
  });
  // A session whose server goes away while it is idle gets an 'error' event, and an 'error' nobody listens to ends the
  // process (a CLI sweep died when the server was killed while its observer session was still being set up). The next
  // query on the session fails and says why; owners add their own listeners (reconnect, notes) on top of this one.
  client.on('error', (err) => (opts.logger ?? silentLogger).debug(`${where}: session lost: ${err.message}`));
  const con = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  con.on('authenticationCleartextPassword', () => {
    authMethod = 'password';
  });
  con.on('authenticationMD5Password', () => {
    authMethod = 'md5';
  });
  con.on('authenticationSASL', (m: { mechanisms?: string[] }) => {
    authMethod = 'SASL';
    saslOffered = m.mechanisms;
  });
  con.on('authenticationSASLContinue', () => {
    const mechanism = (client as unknown as { saslSession?: { mechanism?: string } }).saslSession?.mechanism;
    authMethod =
      mechanism === 'SCRAM-SHA-256-PLUS'
        ? 'scram-sha-256 (channel binding)'
        : mechanism === 'SCRAM-SHA-256'
          ? 'scram-sha-256'
          : (mechanism ?? 'SASL');
  });
  const onAbort = () => void client.end().catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    if (opts.signal?.aborted)
      return {
        failure: { where, host: h, tls: attempt.ssl !== false, kind: 'cancelled', reason: 'cancelled', error: err },
      };
    return { failure: classifyFailure(r, h, attempt.ssl !== false, err, pw.sourceUsed()) };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  try {
    if (want !== 'any') {
      const mismatch = await sessionTypeMismatch(client, want);
      if (mismatch) {
        await client.end().catch(() => undefined);
        return { failure: { where, host: h, tls: attempt.ssl !== false, kind: 'session-type', reason: mismatch } };
      }
      if (safety.readOnly) await client.query('SET default_transaction_read_only = on');
    }
    const info = await describeSession(client, r, h, attempt, authMethod, pw.sourceUsed());
    const late =
      (authMethod ? undefined : requireAuthViolation(r.params.require_auth, 'none')) ??
      (authMethod ? undefined : channelBindingViolation(r.params.channel_binding, undefined, attempt.ssl !== false));
    if (late) {
      await client.end().catch(() => undefined);
      return { failure: { where, host: h, tls: attempt.ssl !== false, kind: 'auth', reason: late } };
    }
    const password = pw.value();
    return {
      connected: {
        client,
        info,
        target: {
          host: h.hostaddr ?? h.host,
          port: h.port,
          user: r.user,
          database: r.dbname,
          password,
          ssl: attempt.ssl === false ? false : attempt.ssl,
          connectTimeoutMs: r.connectTimeoutMs,
        },
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    return { failure: classifyFailure(r, h, attempt.ssl !== false, err, pw.sourceUsed()) };
  }
}

/**
 * libpq's order for a password: one given in the input/service, then ours (Secret Storage or a
 * command), then PGPASSWORD, then the password file. Asked for only when the server wants one.
 */
function passwordPlan(r: ResolvedConnection, h: HostSpec, credential: CredentialSource | undefined, gate: () => void) {
  let source: string | undefined;
  let value: string | undefined;
  const provide = async (): Promise<string> => {
    gate();
    const given = r.params.password;
    if (given !== undefined && r.sources.password !== 'env') {
      source = r.sources.password === 'service' ? `service "${r.service?.name}"` : 'connection string';
      value = given;
      return given;
    }
    if (credential) {
      const v = await credential.get();
      if (v !== undefined) {
        source = credential.label;
        value = v;
        return v;
      }
    }
    if (given !== undefined) {
      source = 'PGPASSWORD';
      value = given;
      return given;
    }
    const pass = pgpassFor(r, h);
    if (pass.warning && !r.warnings.includes(pass.warning)) r.warnings.push(pass.warning);
    if (pass.password !== undefined) {
      source = `${pass.file} line ${pass.line}`;
      value = pass.password;
      return pass.password;
    }
    source = pass.ignored ? `ignored:${pass.ignored}:${pass.file}` : 'none';
    // As libpq ("no password supplied"): nothing is sent, not even an empty password message.
    throw new PgOpsError('conn-no-password', 'the server asked for a password and none was supplied');
  };
  return { provide, sourceUsed: () => source, value: () => value };
}

async function sessionTypeMismatch(client: Client, want: TargetSessionAttrs): Promise<string | undefined> {
  if (want === 'read-write' || want === 'read-only') {
    const ro =
      (await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only')).rows[0]
        .transaction_read_only === 'on';
    if (want === 'read-write' && ro) return 'session is read-only (target_session_attrs=read-write)';
    if (want === 'read-only' && !ro) return 'session is not read-only (target_session_attrs=read-only)';
    return undefined;
  }
  const standby = (await client.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r')).rows[0].r;
  if (want === 'primary' && standby) return 'server is in hot standby mode (target_session_attrs=primary)';
  if (want === 'standby' && !standby) return 'server is not in hot standby mode (target_session_attrs=standby)';
  return undefined;
}

async function describeSession(
  client: Client,
  r: ResolvedConnection,
  h: HostSpec,
  attempt: SslAttempt,
  protocolAuth: string,
  passwordSource: string | undefined,
): Promise<SessionInfo> {
  const version = Number(
    (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v,
  );
  let authMethod = protocolAuth;
  if (!authMethod) {
    if (version >= 160000) {
      // system_user is "method:identity" for every method that authenticated someone, NULL for trust.
      const su = (await client.query<{ su: string | null }>('SELECT system_user AS su')).rows[0].su;
      authMethod = su ? su.slice(0, su.indexOf(':')) : 'trust';
    } else {
      authMethod = 'no password asked (trust, peer, ident or cert)';
    }
  }
  return {
    host: h,
    description: describeHost(r, h),
    authMethod,
    serverVersionNum: version,
    passwordSource: passwordSource === 'none' ? undefined : passwordSource,
    tls: tlsStateOf(client, attempt),
  };
}

/** Whether the session's socket is encrypted, how, and what the attempt verified. */
export function tlsStateOf(client: Client, attempt: SslAttempt): SessionInfo['tls'] {
  const stream = (
    client as unknown as {
      connection: {
        stream: { encrypted?: boolean; getProtocol?: () => string | null; getCipher?: () => { name: string } };
      };
    }
  ).connection.stream;
  const inUse = stream.encrypted === true;
  return {
    inUse,
    verified: inUse && attempt.ssl !== false ? attempt.verify : 'none',
    protocol: inUse ? (stream.getProtocol?.() ?? undefined) : undefined,
    cipher: inUse ? stream.getCipher?.().name : undefined,
  };
}

/** Requirements pgops cannot honour are refused rather than silently dropped: they are security promises. */
function refuseUnsupported(r: ResolvedConnection): void {
  const p = r.params;
  const refuse = (what: string) => {
    throw new PgOpsError(
      'conninfo',
      `${what} is not supported by pgops (node-postgres has no such feature)`,
      'Remove it from the connection string, or connect with psql for this server.',
    );
  };
  if (p.gssencmode === 'require') refuse('gssencmode=require (GSSAPI encryption)');
  if (p.requirepeer) refuse('requirepeer');
  if (p.sslcertmode === 'require') refuse('sslcertmode=require');
  if (p.replication && p.replication !== '0' && p.replication !== 'false' && p.replication !== 'off')
    refuse('replication connections');
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

import type { Client, QueryResult, QueryResultRow } from 'pg';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { Connected, SessionInfo } from './connect';

/** SQLSTATEs and socket errors that mean "this connection is gone", not "this query failed". */
export function isConnectionLost(err: unknown): boolean {
  const e = (err ?? {}) as { code?: string; message?: string };
  if (
    e.code &&
    (/^08/.test(e.code) || ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED'].includes(e.code))
  )
    return true;
  return /Connection terminated|not queryable|terminating connection/i.test(e.message ?? '');
}

interface Member {
  client: Client;
  busy: boolean;
  dead: boolean;
}

/**
 * A few diagnostic sessions per profile. A session the server dropped (restart, failover,
 * pg_terminate_backend) is discarded; a query that hit one is run once more on a fresh session —
 * safe because diagnostic sessions are read-only.
 */
export class SessionPool {
  private readonly members: Member[] = [];
  private readonly waiters: Array<() => void> = [];
  private lastInfo: SessionInfo | undefined;
  private closed = false;

  constructor(
    private readonly open: () => Promise<Connected>,
    private readonly max = 2,
    private readonly logger: Logger = silentLogger,
    private readonly name = 'pool',
  ) {}

  get info(): SessionInfo | undefined {
    return this.lastInfo;
  }

  get size(): number {
    return this.members.filter((m) => !m.dead).length;
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return this.withClient((c) => c.query<R>(text, values));
  }

  /** Runs `fn` on a pooled session; retried once on a fresh session when the first one was lost. */
  async withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const m = await this.acquire();
      try {
        return await fn(m.client);
      } catch (err) {
        if (!isConnectionLost(err) || attempt > 0) throw err;
        m.dead = true;
        this.logger.info(`${this.name}: session lost (${(err as Error).message}); reconnecting`);
      } finally {
        this.release(m);
      }
    }
  }

  private async acquire(): Promise<Member> {
    for (;;) {
      if (this.closed) throw new Error(`${this.name} is closed`);
      const idle = this.members.find((m) => !m.busy && !m.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.size < this.max) {
        const placeholder: Member = { client: undefined as unknown as Client, busy: true, dead: false };
        this.members.push(placeholder);
        try {
          const c = await this.open();
          placeholder.client = c.client;
          this.lastInfo = c.info;
          c.client.on('error', (err) => {
            placeholder.dead = true;
            this.logger.warn(`${this.name}: idle session closed by the server: ${err.message}`);
          });
          return placeholder;
        } catch (err) {
          this.members.splice(this.members.indexOf(placeholder), 1);
          this.wakeOne();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(m: Member): void {
    m.busy = false;
    if (m.dead) {
      this.members.splice(this.members.indexOf(m), 1);
      void m.client.end().catch(() => undefined);
    }
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.members.splice(0);
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(all.filter((m) => m.client).map((m) => m.client.end().catch(() => undefined)));
  }
}

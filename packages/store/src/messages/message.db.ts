import pg from 'pg';
import type { Orm } from '../orm.js';

/** The message path's own connections: plain `pg`, prepared statements, no query builder in between. */
export interface MessageDb {
  /** Runs a prepared statement (parsed once per connection) and returns its rows. */
  query<R extends object>(name: string, text: string, values: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/**
 * A pool on the ORM's database with the ORM's session settings (statement and
 * idle-in-transaction timeouts). Idle connections that break are dropped by the
 * pool; the next query reports the outage to its caller.
 */
export function createMessageDb(orm: Orm, options: { max?: number } = {}): MessageDb {
  const session = (orm.config.get('driverOptions') as { connection?: Record<string, unknown> } | undefined)?.connection ?? {};
  const pool = new pg.Pool({
    connectionString: orm.config.get('clientUrl'),
    max: options.max ?? 8,
    // A pool that cannot hand out a connection in time is an outage, not a wait without end.
    connectionTimeoutMillis: 10_000,
    ...session,
  });
  pool.on('error', () => undefined);
  let closed: Promise<void> | undefined;
  return {
    async query<R extends object>(name: string, text: string, values: unknown[]): Promise<R[]> {
      const result = await pool.query<R>({ name, text, values });
      return result.rows;
    },
    close: () => (closed ??= pool.end()),
  };
}

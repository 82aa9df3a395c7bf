import { randomBytes } from 'node:crypto';
import { createOrm, migrate } from '@chat/store';
import type { PostgresServer } from './postgres.js';

/** Creates a database and applies every migration to it; returns its URL. */
export async function createMigratedDatabase(pg: Pick<PostgresServer, 'sql' | 'databaseUrl'>, name: string): Promise<string> {
  await pg.sql(`create database "${name}"`);
  const url = pg.databaseUrl(name);
  const orm = await createOrm({ databaseUrl: url, poolMax: 1 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  return url;
}

/** A fresh database copied from a migrated template (fast: no migrations per test file). */
export async function cloneDatabase(pg: Pick<PostgresServer, 'sql' | 'databaseUrl'>, template: string, prefix = 't'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await pg.sql(`create database "${name}" template "${template}"`);
  return pg.databaseUrl(name);
}

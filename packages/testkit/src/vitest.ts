import { inject } from 'vitest';
import { cloneDatabase } from './database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Port of the PostgreSQL server the global setup started. */
    pgPort: number;
    /** Name of the migrated template database to clone. */
    pgTemplate: string;
  }
}

const pgHandle = () => {
  const port = inject('pgPort');
  const databaseUrl = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const sql = async (statement: string, database = 'postgres'): Promise<string> => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout } = await promisify(execFile)('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', statement]);
    return stdout.trim();
  };
  return { databaseUrl, sql };
};

/** A fresh, migrated database of its own for one test file; returns its URL. */
export async function useTestDatabase(): Promise<string> {
  return cloneDatabase(pgHandle(), inject('pgTemplate'));
}

/** A fresh database with no schema at all (for migration tests); returns its URL. */
export async function useEmptyDatabase(): Promise<string> {
  const { databaseUrl, sql } = pgHandle();
  const name = `e_${(await import('node:crypto')).randomBytes(6).toString('hex')}`;
  await sql(`create database "${name}"`);
  return databaseUrl(name);
}

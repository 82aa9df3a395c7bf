import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from './postgres.js';

const durabilitySettings = ['fsync', 'synchronous_commit', 'full_page_writes'];

describe('startPostgres', () => {
  let fast: PostgresServer;
  let durable: PostgresServer;

  beforeAll(async () => {
    [fast, durable] = await Promise.all([startPostgres(), startPostgres({ durable: true })]);
  });

  afterAll(async () => {
    await Promise.all([fast?.stop(), durable?.stop()]);
  });

  const show = async (pg: PostgresServer): Promise<Record<string, string>> =>
    Object.fromEntries(await Promise.all(durabilitySettings.map(async (name) => [name, await pg.sql(`show ${name}`)])));

  it('by default trades durability for speed: fsync, synchronous_commit and full_page_writes off', async () => {
    expect(await show(fast)).toEqual({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' });
  });

  it("with durable: true keeps production's settings: fsync, synchronous_commit and full_page_writes on", async () => {
    expect(await show(durable)).toEqual({ fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' });
  });
});

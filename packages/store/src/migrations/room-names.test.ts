import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEmptyDatabase } from '@chat/testkit/vitest';
import { createOrm, type Orm } from '../orm.js';

let orm: Orm;
const owner = randomUUID();

beforeAll(async () => {
  orm = await createOrm({ databaseUrl: await useEmptyDatabase(), poolMax: 2 });
  await orm.getMigrator().up({ to: 'Migration20261121000000_initial' });
  await orm.em.getKnex().raw(`insert into users (id, username, password_hash) values (?, 'owner', 'x')`, [owner]);
});
afterAll(async () => {
  await orm?.close(true);
});

const insertRoom = (name: string, createdAt: string) =>
  orm.em.getKnex().raw('insert into rooms (id, name, owner_id, created_at) values (?, ?, ?, ?)', [randomUUID(), name, owner, createdAt]);
const names = async () =>
  (await orm.em.getKnex().raw<{ rows: { name: string }[] }>('select name from rooms order by created_at')).rows.map((r) => r.name);

describe('migration room_names_icu_lower', () => {
  it('keeps the oldest of names that now collide, suffixes the rest, and then refuses new collisions in any script', async () => {
    // Accepted by the initial index (lower() under the C locale folds only A–Z).
    await insertRoom('Ärger', '2026-01-01T00:00:00Z');
    await insertRoom('ärger', '2026-01-02T00:00:00Z');
    await insertRoom('église', '2026-01-03T00:00:00Z');
    await insertRoom('Église', '2026-01-03T12:00:00Z');
    await insertRoom('Ω'.repeat(64), '2026-01-04T00:00:00Z');
    await insertRoom('ω'.repeat(64), '2026-01-05T00:00:00Z');
    await insertRoom('unrelated', '2026-01-06T00:00:00Z');

    const applied = await orm.getMigrator().up({ to: 'Migration20261201000000_room_names_icu_lower' });
    expect(applied.map((m) => m.name)).toEqual(['Migration20261201000000_room_names_icu_lower']);

    const after = await names();
    expect(after[0]).toBe('Ärger');
    expect(after[1]).toMatch(/^ärger #[0-9a-f]{8}$/);
    expect(after[2]).toBe('église');
    expect(after[3]).toMatch(/^Église #[0-9a-f]{8}$/);
    expect(after[4]).toBe('Ω'.repeat(64));
    expect(after[5]).toMatch(new RegExp(`^${'ω'.repeat(54)} #[0-9a-f]{8}$`));
    expect(after[5]!.length).toBe(64);
    expect(after[6]).toBe('unrelated');

    for (const name of ['ÄrGeR', 'éclair', 'ÉCLAIR', 'ωμεγα', 'ΩΜΕΓΑ']) {
      const insert = insertRoom(name, '2026-02-01T00:00:00Z');
      if (name === 'éclair' || name === 'ωμεγα') await insert;
      else await expect(insert).rejects.toMatchObject({ code: '23505', constraint: 'rooms_name_icu_lower_unique' });
    }
  });

  it('goes down again to the old index', async () => {
    await orm.getMigrator().down();
    const { rows } = await orm.em.getKnex().raw<{ rows: { indexname: string }[] }>(
      `select indexname from pg_indexes where tablename = 'rooms' and indexname like 'rooms_name%'`,
    );
    expect(rows.map((r) => r.indexname)).toEqual(['rooms_name_lower_unique']);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { useEmptyDatabase } from '@chat/testkit/vitest';
import { createOrm, migrate, type Orm } from './orm.js';

const orms: Orm[] = [];
afterAll(async () => {
  for (const orm of orms) await orm.close(true);
});

describe('createOrm', () => {
  it('gives every pooled connection the session timeouts, and 0 turns them off', async () => {
    const databaseUrl = await useEmptyDatabase();
    const timed = await createOrm({ databaseUrl, poolMax: 2, statementTimeoutMs: 1500, idleInTransactionTimeoutMs: 2500 });
    const untimed = await createOrm({ databaseUrl, poolMax: 1, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 0 });
    orms.push(timed, untimed);
    const show = async (orm: Orm, setting: string): Promise<string> =>
      ((await orm.em.getKnex().raw<{ rows: Record<string, string>[] }>(`show ${setting}`)).rows[0] ?? {})[setting] ?? '';
    expect([await show(timed, 'statement_timeout'), await show(timed, 'idle_in_transaction_session_timeout')]).toEqual(['1500ms', '2500ms']);
    expect([await show(untimed, 'statement_timeout'), await show(untimed, 'idle_in_transaction_session_timeout')]).toEqual(['0', '0']);
    await expect(timed.em.getKnex().raw('select pg_sleep(3)')).rejects.toMatchObject({ code: '57014' });
  });

  it('lets a migration outlast the statement timeout', async () => {
    const databaseUrl = await useEmptyDatabase();
    const orm = await createOrm({ databaseUrl, poolMax: 2, statementTimeoutMs: 300 });
    const blocker = await createOrm({ databaseUrl, poolMax: 1, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 0 });
    orms.push(orm, blocker);
    // A table of the same name, created but not committed: the migration's CREATE waits for it.
    const trx = await blocker.em.getKnex().transaction();
    await trx.raw('create table "users" (id int)');
    const migrating = migrate(orm);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await trx.rollback();
    expect((await migrating).length).toBeGreaterThan(0);
    expect((await orm.em.getKnex().raw<{ rows: unknown[] }>('select id from users')).rows).toEqual([]);
  });
});

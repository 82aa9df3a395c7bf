import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@chat/contract';
import { useTestDatabase } from '@chat/testkit/vitest';
import { createOrm, type Orm } from '../orm.js';
import { createStore, type Store } from '../store.js';

let orm: Orm;
let store: Store;

const errorOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (err: unknown) => err);

beforeAll(async () => {
  orm = await createOrm({ databaseUrl: await useTestDatabase(), poolMax: 2 });
  store = createStore(orm, { messagePoolMax: 2 });
});
afterAll(async () => {
  await store?.close();
  await orm?.close(true);
});

describe('what a room:join reads (prepared statements on the message path pool)', () => {
  it("forMember gives a member the room as the ORM's find does, member count included", async () => {
    const owner = await store.users.create(`owner-${randomUUID().slice(0, 8)}`, 'x');
    const member = await store.users.create(`member-${randomUUID().slice(0, 8)}`, 'x');
    const room = await store.rooms.create(owner, `room-${randomUUID()}`, 'a description');
    await store.rooms.join(room.id, member);

    const seen = await store.rooms.forMember(room.id, member.id);
    expect(seen).toEqual(await store.rooms.get(room.id));
    expect(seen).toMatchObject({ id: room.id, ownerId: owner.id, description: 'a description', memberCount: 2, createdAt: room.createdAt });
  });

  it('forMember refuses a user who is not a member (forbidden) and a room that does not exist (not_found)', async () => {
    const owner = await store.users.create(`owner-${randomUUID().slice(0, 8)}`, 'x');
    const stranger = await store.users.create(`stranger-${randomUUID().slice(0, 8)}`, 'x');
    const room = await store.rooms.create(owner, `room-${randomUUID()}`, '');

    const notMember = await errorOf(store.rooms.forMember(room.id, stranger.id));
    expect(notMember).toBeInstanceOf(AppError);
    expect((notMember as AppError).code).toBe('forbidden');
    const missing = await errorOf(store.rooms.forMember(randomUUID(), owner.id));
    expect((missing as AppError).code).toBe('not_found');
  });

  it('findById and findByIds leave out deleted accounts; findByIds orders by username', async () => {
    const tag = randomUUID().slice(0, 6);
    const [b, a, gone] = [await store.users.create(`b-${tag}`, 'x'), await store.users.create(`a-${tag}`, 'x'), await store.users.create(`c-${tag}`, 'x')];
    expect(await store.users.delete(gone.id)).toBe(true);

    expect(await store.users.findById(a.id)).toEqual(a);
    expect(await store.users.findById(gone.id)).toBeUndefined();
    expect(await store.users.findById(randomUUID())).toBeUndefined();
    expect(await store.users.findByIds([b.id, gone.id, a.id, randomUUID()])).toEqual([a, b]);
    expect(await store.users.findByIds([])).toEqual([]);
  });
});

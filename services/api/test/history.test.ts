import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { historyResponseSchema, type AuthResponse, type Room } from '@chat/contract';
import type { MessageDraft } from '@chat/store';
import { client, startTestApi, type Client, type TestApi } from './harness.js';

const TOTAL = 250;

let redis: RedisServer;
let api: TestApi;
let http: Client;
let owner: AuthResponse;
let room: Room;

beforeAll(async () => {
  redis = await startRedis();
  api = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: redis.url });
  http = client(api.url);
  owner = await http.register();
  room = await http.createRoom(owner.token);
  const drafts: MessageDraft[] = Array.from({ length: TOTAL }, (_, i) => ({
    roomId: room.id,
    type: 'message',
    content: `message ${i + 1}`,
    sender: { id: owner.user.id, username: owner.user.username },
    clientId: `seed-${i + 1}`,
  }));
  for (let i = 0; i < TOTAL; i += 100) await api.store.messages.append(drafts.slice(i, i + 100));
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function seqs(query: string): Promise<number[]> {
  const res = await http.get(`/api/rooms/${room.id}/messages${query}`, { token: owner.token });
  expect(res.status, query).toBe(200);
  return historyResponseSchema.parse(res.body).messages.map((m) => m.seq);
}

describe('GET /api/rooms/:roomId/messages', () => {
  it('returns the latest 50 in ascending seq without parameters', async () => {
    expect(await seqs('')).toEqual(range(TOTAL - 49, TOTAL));
  });

  it('returns chat messages in the contract shape', async () => {
    const res = await http.get(`/api/rooms/${room.id}/messages?limit=1`, { token: owner.token });
    expect(res.body.messages).toEqual([
      {
        id: expect.any(String),
        roomId: room.id,
        seq: TOTAL,
        type: 'message',
        content: `message ${TOTAL}`,
        sender: { id: owner.user.id, username: owner.user.username },
        clientId: `seed-${TOTAL}`,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        reactions: [],
      },
    ]);
  });

  it('honours limit from 1 to 100', async () => {
    expect(await seqs('?limit=1')).toEqual([TOTAL]);
    expect(await seqs('?limit=100')).toEqual(range(TOTAL - 99, TOTAL));
  });

  it('pages backwards with before, down to an empty page at before=1', async () => {
    expect(await seqs('?before=1')).toEqual([]);
    expect(await seqs('?before=2')).toEqual([1]);
    expect(await seqs('?before=51')).toEqual(range(1, 50));
    expect(await seqs(`?before=${TOTAL + 1}&limit=100`)).toEqual(range(TOTAL - 99, TOTAL));
    expect(await seqs('?before=100000')).toEqual(range(TOTAL - 49, TOTAL));
  });

  it('pages forwards with after, up to an empty page after the last seq', async () => {
    expect(await seqs(`?after=${TOTAL}`)).toEqual([]);
    expect(await seqs(`?after=${TOTAL - 1}`)).toEqual([TOTAL]);
    expect(await seqs('?after=0')).toEqual(range(1, 50));
    expect(await seqs('?after=0&limit=100')).toEqual(range(1, 100));
    expect(await seqs('?after=200&limit=100')).toEqual(range(201, TOTAL));
  });

  it('says whether there is more beyond the page, in the direction paged', async () => {
    const hasMore = async (query: string): Promise<boolean> =>
      historyResponseSchema.parse((await http.get(`/api/rooms/${room.id}/messages${query}`, { token: owner.token })).body).hasMore;
    // Down (older): the latest page has older ones below it; the page reaching seq 1 has none.
    expect(await hasMore('')).toBe(true);
    expect(await hasMore('?before=51')).toBe(false);
    expect(await hasMore('?before=52')).toBe(true);
    expect(await hasMore(`?limit=100&before=${TOTAL + 1}`)).toBe(true);
    // Up (newer): more above until the page reaches the last seq.
    expect(await hasMore('?after=0')).toBe(true);
    expect(await hasMore(`?after=${TOTAL - 50}`)).toBe(false);
    expect(await hasMore(`?after=${TOTAL - 51}`)).toBe(true);
    expect(await hasMore(`?after=${TOTAL}`)).toBe(false);
  });

  it('walks the whole history by hasMore alone, backwards and forwards, without gaps or repeats', async () => {
    const read = async (query: string) => historyResponseSchema.parse((await http.get(`/api/rooms/${room.id}/messages${query}`, { token: owner.token })).body);
    const down: number[] = [];
    for (let page = await read('?limit=100'); ; ) {
      down.unshift(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      page = await read(`?limit=100&before=${page.messages[0]!.seq}`);
    }
    expect(down).toEqual(range(1, TOTAL));
    const up: number[] = [];
    for (let page = await read('?limit=100&after=0'); ; ) {
      up.push(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      page = await read(`?limit=100&after=${page.messages.at(-1)!.seq}`);
    }
    expect(up).toEqual(range(1, TOTAL));
  });

  it('walks the whole history backwards and forwards without gaps or repeats', async () => {
    const backwards: number[] = [];
    let page = await seqs('?limit=100');
    while (page.length > 0) {
      backwards.unshift(...page);
      page = await seqs(`?limit=100&before=${page[0]}`);
    }
    expect(backwards).toEqual(range(1, TOTAL));

    const forwards: number[] = [];
    page = await seqs('?limit=100&after=0');
    while (page.length > 0) {
      forwards.push(...page);
      page = await seqs(`?limit=100&after=${page[page.length - 1]}`);
    }
    expect(forwards).toEqual(range(1, TOTAL));
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-5', 'limit'],
    ['limit=', 'limit'],
    ['limit=5&limit=6', 'limit'],
    ['before=abc', 'before'],
    ['before=-1', 'before'],
    ['before=2.5', 'before'],
    ['before=1e30', 'before'],
    ['after=xyz', 'after'],
    ['after=-1', 'after'],
    ['before=10&after=5', 'before'],
    ['limit=0x10', 'limit: must be a whole number in decimal digits'],
    ['limit=1e1', 'limit: must be a whole number in decimal digits'],
    ['limit=+5', 'limit: must be a whole number in decimal digits'],
    ['limit=%205', 'limit: must be a whole number in decimal digits'],
    ['limit=10.0', 'limit: must be a whole number in decimal digits'],
    ['before=', 'before: must be a whole number in decimal digits'],
    ['before=0x10', 'before: must be a whole number in decimal digits'],
    ['after=', 'after: must be a whole number in decimal digits'],
    ['after=1e1', 'after: must be a whole number in decimal digits'],
    ['after=Infinity', 'after'],
    ['before=99999999999999999999', 'before: is too large'],
    ['after=9007199254740992', 'after: is too large'],
    ['page=2', 'page'],
  ])('refuses ?%s with 400 validation naming the parameter', async (query, field) => {
    const res = await http.get(`/api/rooms/${room.id}/messages?${query}`, { token: owner.token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation');
    expect(res.body.error.message).toContain(field);
  });

  it('takes decimal values with leading zeros', async () => {
    expect(await seqs('?limit=002&before=010')).toEqual([8, 9]);
  });

  it('refuses a non-member with 403 forbidden', async () => {
    const stranger = await http.register();
    const res = await http.get(`/api/rooms/${room.id}/messages`, { token: stranger.token });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('answers an unknown or malformed room with 404 and no token with 401', async () => {
    for (const id of [randomUUID(), 'abc']) {
      const res = await http.get(`/api/rooms/${id}/messages`, { token: owner.token });
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await http.get(`/api/rooms/${room.id}/messages`)).status).toBe(401);
  });
});

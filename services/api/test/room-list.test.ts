import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { roomListSchema, type AuthResponse } from '@chat/contract';
import { useTestApi } from './harness.js';

const t = useTestApi();

const chat = (roomId: string, who: AuthResponse, content: string) => ({ roomId, type: 'message' as const, content, sender: who.user, clientId: randomUUID() });

async function list(token: string) {
  const res = await t.http.get('/api/rooms', { token });
  expect(res.status).toBe(200);
  return roomListSchema.parse(res.body).rooms;
}

describe('GET /api/rooms with read cursors', () => {
  it('says which rooms the caller joined and, for those, lastSeq, readSeq and unread: message and bot messages after the cursor sent by someone else', async () => {
    const [ann, ben] = [await t.http.register(), await t.http.register()];
    const joinedRoom = await t.http.createRoom(ann.token);
    const otherRoom = await t.http.createRoom(ann.token);
    expect((await t.http.post(`/api/rooms/${joinedRoom.id}/join`, { token: ben.token })).status).toBe(200); // seq 1: "ben joined", a system message
    await t.api.store.messages.append([chat(joinedRoom.id, ann, 'a1'), chat(joinedRoom.id, ben, 'b1'), chat(joinedRoom.id, ann, 'a2')]); // 2, 3, 4
    await t.api.store.messages.append([{ roomId: joinedRoom.id, type: 'bot', content: 'AAPL.US quote is $1 per share', botName: 'stock-bot', jobId: randomUUID() }]); // 5
    await t.api.store.messages.append([{ roomId: joinedRoom.id, type: 'system', content: 'something happened' }]); // 6

    const bens = await list(ben.token);
    const joined = bens.find((r) => r.id === joinedRoom.id)!;
    const other = bens.find((r) => r.id === otherRoom.id)!;
    expect(joined).toMatchObject({ joined: true, lastSeq: 6, readSeq: 1, unread: 3 }); // from his join on: a1, a2 and the bot; not b1, not the system messages
    expect(other.joined).toBe(false);
    expect(other).not.toHaveProperty('unread');
    expect(other).not.toHaveProperty('lastSeq');

    await t.api.store.reads.advance([{ roomId: joinedRoom.id, userId: ben.user.id, seq: 4 }]);
    expect((await list(ben.token)).find((r) => r.id === joinedRoom.id)).toMatchObject({ readSeq: 4, unread: 1 });
    // A cursor only moves forward.
    await t.api.store.reads.advance([{ roomId: joinedRoom.id, userId: ben.user.id, seq: 2 }]);
    expect((await list(ben.token)).find((r) => r.id === joinedRoom.id)).toMatchObject({ readSeq: 4, unread: 1 });
    // The owner's view of the same room: ben's b1 and the bot are unread for her.
    expect((await list(ann.token)).find((r) => r.id === joinedRoom.id)).toMatchObject({ joined: true, lastSeq: 6, readSeq: 0, unread: 2 });
  });

  it('starts a new member caught up: the cursor at their own join message, so only what comes after is unread', async () => {
    const [cat, dan] = [await t.http.register(), await t.http.register()];
    const room = await t.http.createRoom(cat.token);
    await t.api.store.messages.append([chat(room.id, cat, 'before dan')]); // seq 1
    await t.http.post(`/api/rooms/${room.id}/join`, { token: dan.token }); // seq 2: "dan joined"
    expect((await list(dan.token)).find((r) => r.id === room.id)).toMatchObject({ joined: true, lastSeq: 2, readSeq: 2, unread: 0 });
    await t.api.store.messages.append([chat(room.id, cat, 'after dan')]); // seq 3
    expect((await list(dan.token)).find((r) => r.id === room.id)).toMatchObject({ readSeq: 2, unread: 1 });
    // Leaving and coming back starts again at the new join.
    await t.http.post(`/api/rooms/${room.id}/leave`, { token: dan.token }); // seq 4
    expect((await list(dan.token)).find((r) => r.id === room.id)).toMatchObject({ joined: false });
    await t.http.post(`/api/rooms/${room.id}/join`, { token: dan.token }); // seq 5
    expect((await list(dan.token)).find((r) => r.id === room.id)).toMatchObject({ joined: true, readSeq: 5, unread: 0 });
  });
});

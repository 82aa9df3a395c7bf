import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETED_USERNAME } from '@chat/contract';
import { call, connectError, disconnection, ok } from '../../services/gateway/test/support/client.js';
import { latestMessages, roomWith } from '../support/users.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';

const CAP = 3;
let chat: ChatCluster;

beforeAll(async () => {
  chat = await startChatCluster(2, { MAX_SOCKETS_PER_USER: String(CAP) });
});
afterAll(async () => {
  await chat?.stop();
});

describe('accounts across replicas', () => {
  it(`caps one user's sockets across the gateways: ${CAP} on two gateways, the next refused rate_limited through nginx`, async () => {
    const amy = await chat.register('amy');
    const sockets = [await chat.on(0, amy.token), await chat.on(1, amy.token), await chat.on(1, amy.token)];
    expect(new Set(sockets.map((s) => s.io.engine.id!.split('.')[0])).size).toBe(2);
    const refused = await connectError(chat.url, amy.token);
    expect(refused.message).toBe('rate_limited');
    expect(refused.data).toMatchObject({ code: 'rate_limited', retryAfterMs: 10_000 });
    // Someone else is not held to amy's count; and a socket amy closes gives its place back.
    const bob = await chat.register('bob');
    expect((await chat.on(0, bob.token)).connected).toBe(true);
    sockets[0]!.close();
    await new Promise((r) => setTimeout(r, 300));
    expect((await chat.on(0, amy.token)).connected).toBe(true);
  });

  it('DELETE /api/me ends the sockets on every gateway with session:ended deleted; the token is refused; the messages stay as "deleted user"', async () => {
    const [cy, di] = [await chat.register('cy'), await chat.register('di')];
    const roomId = await roomWith([di, cy]);
    const [gw1, gw2] = [await chat.on(0, cy.token), await chat.on(1, cy.token)];
    ok(await call(gw1, 'room:join', { roomId }));
    ok(await call(gw1, 'message:send', { roomId, content: 'soon gone', clientId: 'cy-1' }));
    const told: unknown[] = [];
    for (const s of [gw1, gw2]) s.on('session:ended', (e) => told.push(e));

    const ended = [disconnection(gw1), disconnection(gw2)];
    await cy.client.rest.deleteMe();
    expect(await Promise.all(ended)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(told).toEqual([{ reason: 'deleted' }, { reason: 'deleted' }]);
    expect((await connectError(chat.url, cy.token)).data).toMatchObject({ code: 'unauthorized', message: 'the account has been deleted' });
    await expect(cy.client.rest.me()).rejects.toMatchObject({ code: 'unauthorized' });
    const kept = (await latestMessages(di, roomId)).find((m) => m.content === 'soon gone');
    expect(kept?.sender).toEqual({ id: cy.user.id, username: DELETED_USERNAME });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { AI_NOT_CONFIGURED_TEXT } from '../../services/bot-worker/src/ai/ai.replies.js';
import { startFakeStooq, type FakeStooq } from '../../services/bot-worker/test/fakes/fake-stooq.js';
import type { RecordedClient } from '../support/recorded-client.js';
import { asStored, latestMessages } from '../support/users.js';
import { twoReplicaRoom as sharedTwoReplicaRoom, type TwoReplicaRoom } from './support/chat.js';

let cluster: Cluster;
let stooq: FakeStooq;
const clients: RecordedClient[] = [];

beforeAll(async () => {
  stooq = await startFakeStooq();
  cluster = await startCluster({
    databaseUrl: await useTestDatabase(),
    gateways: 2,
    workers: 1,
    // A worker process with no OPENAI_API_KEY at all (empty counts as unset, whatever the parent's environment holds).
    workerEnv: { STOOQ_URL: stooq.url, STOOQ_TIMEOUT_MS: '20000', OPENAI_API_KEY: '', BOT_BACKOFF_MS: '20' },
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
  await stooq?.close();
});

const twoReplicaRoom = (): Promise<TwoReplicaRoom> => sharedTwoReplicaRoom(cluster.url, clients);

describe('bot commands with parts of the cluster missing', () => {
  it('answers /ai and /summary that the AI is not configured when the worker has no API key', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();

    expect(await onGw1.chat.send(roomId, '/ai is anyone there?')).toMatchObject({ command: 'ai' });
    expect(await onGw2.chat.send(roomId, '/summary 5')).toMatchObject({ command: 'summary' });

    await waitFor('both answers on gw1', () => onGw1.messages.filter((m) => m.type === 'bot').length === 2);
    await waitFor('both answers on gw2', () => onGw2.messages.filter((m) => m.type === 'bot').length === 2);
    const replies = onGw2.messages.filter((m) => m.type === 'bot');
    for (const reply of replies) expect(reply).toMatchObject({ content: AI_NOT_CONFIGURED_TEXT, sender: { id: null, username: 'ai' }, clientId: null });
    expect(onGw1.deltas).toEqual([]);
    expect((await latestMessages(alice, roomId)).filter((m) => m.type === 'bot')).toEqual(replies.map(asStored));
  });

  // Kills gw1: keep it the last test of this file.
  it('delivers the reply to the other replicas and to history when the requester’s gateway process is killed', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    stooq.script('orphan.us', { kind: 'hold', then: { kind: 'ok', close: 2.5 } });

    expect(await onGw1.chat.send(roomId, '/stock=ORPHAN.US')).toMatchObject({ command: 'stock' });
    await waitFor('the worker to ask Stooq', () => stooq.requests('orphan.us').length === 1);
    await cluster.gateways[0]!.kill();
    stooq.release();

    const reply = await onGw2.waitForMessage('the quote on gw2', (m) => m.type === 'bot');
    expect(reply).toMatchObject({ content: 'ORPHAN.US quote is $2.50 per share', sender: { id: null, username: 'stock-bot' } });
    expect(onGw1.messages.filter((m) => m.type === 'bot')).toEqual([]);
    expect((await latestMessages(alice, roomId)).filter((m) => m.type === 'bot')).toEqual([asStored(reply)]);
  });
});

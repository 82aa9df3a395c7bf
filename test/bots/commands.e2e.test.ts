import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandQueues, createRedis } from '@chat/runtime';
import { ChatError, type MessageSendResult } from '@chat/client';
import { startCluster, waitFor, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../../services/bot-worker/test/fakes/fake-openai.js';
import { startFakeStooq, type FakeStooq } from '../../services/bot-worker/test/fakes/fake-stooq.js';
import type { RecordedClient } from '../support/recorded-client.js';
import { asStored, latestMessages } from '../support/users.js';
import { onReplica, twoReplicaRoom as sharedTwoReplicaRoom, type TwoReplicaRoom } from './support/chat.js';

const COMMAND_LIMIT = 5;
let cluster: Cluster;
let stooq: FakeStooq;
let openai: FakeOpenAi;
const clients: RecordedClient[] = [];

beforeAll(async () => {
  [stooq, openai] = await Promise.all([startFakeStooq(), startFakeOpenAi()]);
  cluster = await startCluster({
    databaseUrl: await useTestDatabase(),
    gateways: 2,
    workers: 1,
    gatewayEnv: { RATE_LIMIT_COMMANDS: String(COMMAND_LIMIT) },
    workerEnv: {
      STOOQ_URL: stooq.url,
      STOOQ_TIMEOUT_MS: '5000',
      OPENAI_API_KEY: 'sk-e2e',
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'fake-model',
      BOT_BACKOFF_MS: '20',
    },
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
  await Promise.allSettled([stooq?.close(), openai?.close()]);
});

const twoReplicaRoom = (): Promise<TwoReplicaRoom> => sharedTwoReplicaRoom(cluster.url, clients);

function jobIdOf(result: MessageSendResult): string {
  if (!('jobId' in result)) throw new Error('not a queued command');
  return result.jobId;
}

describe('bot commands through nginx, two gateways and a worker process', () => {
  it('answers /stock sent on one replica to the members on every replica', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    stooq.script('aapl.us', { kind: 'ok', close: 189.987 });

    const result = await onGw1.chat.send(roomId, '/stock=aapl.us');
    expect(result).toMatchObject({ command: 'stock' });
    jobIdOf(result);

    const isQuote = (m: { content: string }) => m.content === 'AAPL.US quote is $189.99 per share';
    const reply = await onGw2.waitForMessage('the quote on gw2', isQuote);
    await onGw1.waitForMessage('the quote on gw1', isQuote);
    expect(reply).toMatchObject({ roomId, type: 'bot', sender: { id: null, username: 'stock-bot' }, clientId: null });
    // The command itself is not stored; the reply is.
    expect((await latestMessages(alice, roomId)).filter((m) => m.type !== 'system')).toEqual([asStored(reply)]);
  });

  it('delivers the reply to the others and to history when the requester has disconnected', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    stooq.script('gone.us', { kind: 'hold', then: { kind: 'ok', close: 1.5 } });

    jobIdOf(await onGw1.chat.send(roomId, '/stock=GONE.US'));
    await waitFor('the worker to ask Stooq', () => stooq.requests('gone.us').length === 1);
    onGw1.close();
    stooq.release();

    const reply = await onGw2.waitForMessage('the quote', (m) => m.type === 'bot');
    expect(reply.content).toBe('GONE.US quote is $1.50 per share');
    expect((await latestMessages(alice, roomId)).filter((m) => m.type === 'bot')).toEqual([asStored(reply)]);
    // Back online, the requester's client catches up and hands the reply on, once.
    const again = await onReplica(cluster.url, 'gw1', alice.token);
    clients.push(again);
    await again.chat.join(roomId);
    await again.waitForMessage('the quote after coming back', (m) => m.id === reply.id);
    expect(again.messages.filter((m) => m.type === 'bot')).toEqual([asStored(reply)]);
  });

  it('streams /ai to every replica as ai:delta, then one stored message', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    openai.script({ kind: 'answer', chunks: ['Forty', '-two.'], chunkDelayMs: 10 });

    const requestId = jobIdOf(await onGw1.chat.send(roomId, '/ai what is the answer?'));
    const reply = await onGw2.waitForMessage('the AI answer', (m) => m.type === 'bot');

    expect(reply).toMatchObject({ content: 'Forty-two.', sender: { id: null, username: 'ai' } });
    expect(onGw2.deltas).toEqual([
      { roomId, requestId, delta: 'Forty' },
      { roomId, requestId, delta: '-two.' },
    ]);
    await onGw1.waitForMessage('the AI answer on gw1', (m) => m.id === reply.id);
    expect(onGw1.deltas.map((d) => d.delta).join('')).toBe('Forty-two.');
    expect((await latestMessages(alice, roomId)).filter((m) => m.type === 'bot')).toEqual([asStored(reply)]);
  });

  it('summarises the last N messages the gateways stored, up to the request', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    for (let i = 1; i <= 5; i++) expect(await (i % 2 ? onGw1 : onGw2).chat.send(roomId, `point ${i}`)).toMatchObject({ message: { content: `point ${i}` } });
    openai.script({ kind: 'answer', chunks: ['Five points were made.'] });
    const before = openai.requests().length;

    const jobId = jobIdOf(await onGw2.chat.send(roomId, '/summary 3'));
    const reply = await onGw1.waitForMessage('the summary', (m) => m.type === 'bot');
    // The gateway recorded where the summary ends: the room's last seq when it was asked for.
    const lastSeq = (await latestMessages(alice, roomId)).filter((m) => m.id !== reply.id).at(-1)!.seq;
    const connection = createRedis(cluster.redisTarget);
    const queues = createCommandQueues(connection);
    try {
      expect((await queues.ai.getJob(jobId))?.data).toMatchObject({ kind: 'summary', count: 3, upToSeq: lastSeq });
    } finally {
      await queues.close();
      await connection.quit();
    }

    expect(reply.content).toBe('Five points were made.');
    const transcript = openai.requests()[before]!.messages[1]!.content.split('\n').slice(1);
    expect(transcript.map((line) => line.replace(/^\w+: /, ''))).toEqual(['point 3', 'point 4', 'point 5']);
  });

  it('refuses commands over the per-user limit across replicas and queues nothing for them', async () => {
    const { roomId, alice, onGw1 } = await twoReplicaRoom();
    const elsewhere = await onReplica(cluster.url, 'gw2', alice.token);
    clients.push(elsewhere);
    await elsewhere.chat.join(roomId);

    const queued: MessageSendResult[] = [];
    for (let i = 0; i < COMMAND_LIMIT; i++) queued.push(await (i % 2 === 0 ? onGw1 : elsewhere).chat.send(roomId, `/stock=LIMIT${i}.US`));
    const refused = await elsewhere.chat.send(roomId, '/stock=OVER.US').catch((err: unknown) => err);

    expect(queued.map((r) => ('command' in r ? r.command : undefined))).toEqual(Array.from({ length: COMMAND_LIMIT }, () => 'stock'));
    expect(refused).toBeInstanceOf(ChatError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) });
    await waitFor('the allowed commands to be answered', async () => (await latestMessages(alice, roomId)).filter((m) => m.type === 'bot').length === COMMAND_LIMIT);
    const replies = (await latestMessages(alice, roomId)).filter((m) => m.type === 'bot');
    expect(replies.map((m) => m.content).sort()).toEqual(Array.from({ length: COMMAND_LIMIT }, (_, i) => `Sorry, no quote for LIMIT${i}.US.`).sort());
    expect(stooq.requests('over.us')).toEqual([]);
  });
});

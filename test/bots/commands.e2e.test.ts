import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandQueues, createRedis } from '@chat/runtime';
import type { MessageSendResult } from '@chat/contract';
import { startCluster, waitFor, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../../services/bot-worker/test/fakes/fake-openai.js';
import { startFakeStooq, type FakeStooq } from '../../services/bot-worker/test/fakes/fake-stooq.js';
import { Rest } from '../support/rest.js';
import { Client, twoReplicaRoom as sharedTwoReplicaRoom, type TwoReplicaRoom } from './support/chat.js';

const COMMAND_LIMIT = 5;
let cluster: Cluster;
let stooq: FakeStooq;
let openai: FakeOpenAi;
let rest: Rest;
const clients: Client[] = [];

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
  rest = new Rest(cluster.url);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
  await Promise.allSettled([stooq?.close(), openai?.close()]);
});

const twoReplicaRoom = (): Promise<TwoReplicaRoom> => sharedTwoReplicaRoom(rest, cluster.url, clients);

function jobIdOf(ack: Awaited<ReturnType<Client['send']>>): string {
  if (!ack.ok) throw new Error(`send refused: ${ack.error.code} ${ack.error.message}`);
  const result: MessageSendResult = ack;
  if (!('jobId' in result)) throw new Error('not a queued command');
  return result.jobId;
}

describe('bot commands through nginx, two gateways and a worker process', () => {
  it('answers /stock sent on one replica to the members on every replica', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    stooq.script('aapl.us', { kind: 'ok', close: 189.987 });

    const ack = await onGw1.send(roomId, '/stock=aapl.us');
    expect(ack).toMatchObject({ ok: true, command: 'stock' });
    jobIdOf(ack);

    const isQuote = (m: { content: string }) => m.content === 'AAPL.US quote is $189.99 per share';
    const reply = await onGw2.waitForMessage('the quote on gw2', isQuote);
    await onGw1.waitForMessage('the quote on gw1', isQuote);
    expect(reply).toMatchObject({ roomId, type: 'bot', sender: { id: null, username: 'stock-bot' }, clientId: null });
    // The command itself is not stored; the reply is.
    expect((await rest.messages(alice.token, roomId)).filter((m) => m.type !== 'system')).toEqual([reply]);
  });

  it('delivers the reply to the others and to history when the requester has disconnected', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    stooq.script('gone.us', { kind: 'hold', then: { kind: 'ok', close: 1.5 } });

    jobIdOf(await onGw1.send(roomId, '/stock=GONE.US'));
    await waitFor('the worker to ask Stooq', () => stooq.requests('gone.us').length === 1);
    onGw1.close();
    stooq.release();

    const reply = await onGw2.waitForMessage('the quote', (m) => m.type === 'bot');
    expect(reply.content).toBe('GONE.US quote is $1.50 per share');
    expect((await rest.messages(alice.token, roomId)).filter((m) => m.type === 'bot')).toEqual([reply]);
    // Back online, the requester catches up with `since`.
    const again = await Client.on(cluster.url, 'gw1', alice.token);
    clients.push(again);
    const joined = await again.join(roomId, reply.seq - 1);
    expect(joined.missed).toEqual([reply]);
  });

  it('streams /ai to every replica as ai:delta, then one stored message', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    openai.script({ kind: 'answer', chunks: ['Forty', '-two.'], chunkDelayMs: 10 });

    const requestId = jobIdOf(await onGw1.send(roomId, '/ai what is the answer?'));
    const reply = await onGw2.waitForMessage('the AI answer', (m) => m.type === 'bot');

    expect(reply).toMatchObject({ content: 'Forty-two.', sender: { id: null, username: 'ai' } });
    expect(onGw2.deltas).toEqual([
      { roomId, requestId, delta: 'Forty' },
      { roomId, requestId, delta: '-two.' },
    ]);
    await onGw1.waitForMessage('the AI answer on gw1', (m) => m.id === reply.id);
    expect(onGw1.deltas.map((d) => d.delta).join('')).toBe('Forty-two.');
    expect((await rest.messages(alice.token, roomId)).filter((m) => m.type === 'bot')).toEqual([reply]);
  });

  it('summarises the last N messages the gateways stored, up to the request', async () => {
    const { roomId, alice, onGw1, onGw2 } = await twoReplicaRoom();
    for (let i = 1; i <= 5; i++) expect((await (i % 2 ? onGw1 : onGw2).send(roomId, `point ${i}`)).ok).toBe(true);
    openai.script({ kind: 'answer', chunks: ['Five points were made.'] });
    const before = openai.requests().length;

    const jobId = jobIdOf(await onGw2.send(roomId, '/summary 3'));
    const reply = await onGw1.waitForMessage('the summary', (m) => m.type === 'bot');
    // The gateway recorded where the summary ends: the room's last seq when it was asked for.
    const lastSeq = (await rest.messages(alice.token, roomId)).filter((m) => m.id !== reply.id).at(-1)!.seq;
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
    const elsewhere = await Client.on(cluster.url, 'gw2', alice.token);
    clients.push(elsewhere);
    await elsewhere.join(roomId);

    const acks = [];
    for (let i = 0; i < COMMAND_LIMIT; i++) acks.push(await (i % 2 === 0 ? onGw1 : elsewhere).send(roomId, `/stock=LIMIT${i}.US`));
    const refused = await elsewhere.send(roomId, '/stock=OVER.US');

    expect(acks.every((a) => a.ok)).toBe(true);
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    await waitFor('the allowed commands to be answered', async () => (await rest.messages(alice.token, roomId)).filter((m) => m.type === 'bot').length === COMMAND_LIMIT);
    const replies = (await rest.messages(alice.token, roomId)).filter((m) => m.type === 'bot');
    expect(replies.map((m) => m.content).sort()).toEqual(Array.from({ length: COMMAND_LIMIT }, (_, i) => `Sorry, no quote for LIMIT${i}.US.`).sort());
    expect(stooq.requests('over.us')).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '@chat/testkit';
import { AI_NOT_CONFIGURED_TEXT, AI_UNAVAILABLE_TEXT, ASK_SYSTEM_PROMPT, NOTHING_TO_SUMMARISE_TEXT, SUMMARY_SYSTEM_PROMPT } from '../src/index.js';
import { startHarness, type Harness, type Room } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stopWorkers();
});
afterAll(async () => {
  await h?.close();
});

async function say(room: Room, lines: string[]): Promise<void> {
  for (const [i, content] of lines.entries()) {
    const sender = i % 2 === 0 ? room.alice : room.bob;
    await h.store.messages.appendOne({ roomId: room.roomId, type: 'message', content, sender, clientId: `c-${i}-${content}` });
  }
}

describe('/ai', () => {
  it('streams ai:delta events, then stores and broadcasts the whole answer once', async () => {
    const room = await h.seedRoom();
    await say(room, ['the build is red', 'which test?']);
    h.openai.script({ kind: 'answer', chunks: ['Check ', 'the <b>flaky</b> ', 'test.'], chunkDelayMs: 20 });
    const [asker, other] = [await h.listen(0, room.roomId), await h.listen(1, room.roomId)];
    await h.startWorker();
    const before = h.openai.requests().length;

    const jobId = await h.command(room, room.alice, '/ai what should I do?');
    const [message] = await other.waitForMessages(1);
    await asker.waitForMessages(1);

    expect(message).toMatchObject({ type: 'bot', sender: { id: null, username: 'ai' }, content: 'Check the <b>flaky</b> test.', seq: 3 });
    for (const listener of [asker, other]) {
      expect(listener.deltas).toEqual(['Check ', 'the <b>flaky</b> ', 'test.'].map((delta) => ({ roomId: room.roomId, requestId: jobId, delta })));
      expect(listener.events.at(-1)).toBe(`message:${message!.id}`);
      expect(listener.messages).toHaveLength(1);
    }
    expect(await h.botMessages(room.roomId)).toEqual([message]);

    const request = h.openai.requests().slice(before);
    expect(request).toHaveLength(1);
    expect(request[0]).toMatchObject({ model: 'fake-model', stream: true, authorization: 'Bearer sk-test-key' });
    expect(request[0]!.messages).toEqual([
      { role: 'system', content: ASK_SYSTEM_PROMPT },
      { role: 'user', content: `Recent messages in this room, oldest first:\n${room.alice.username}: the build is red\n${room.bob.username}: which test?` },
      { role: 'user', content: `${room.alice.username} asks: what should I do?` },
    ]);
  });

  it('keeps only the newest messages that fit the context budget', async () => {
    const room = await h.seedRoom();
    await say(room, ['x'.repeat(60), 'second', 'third']);
    const listener = await h.listen(0, room.roomId);
    await h.startWorker({ aiContextChars: 60 });
    const before = h.openai.requests().length;

    await h.command(room, room.bob, '/ai hi');
    await listener.waitForMessages(1);

    const context = h.openai.requests()[before]!.messages[1]!.content;
    expect(context).toContain(`${room.bob.username}: second`);
    expect(context).toContain(`${room.alice.username}: third`);
    expect(context).not.toContain('xxxx');
  });

  it('retries after 429s and answers once the provider recovers', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'status', status: 429 }, { kind: 'status', status: 429 }, { kind: 'answer', chunks: ['Fine', ' now.'] });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai are you there?');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('Fine now.');
    expect(h.openai.requests().length - before).toBe(3);
    expect(listener.deltas.map((d) => d.delta)).toEqual(['Fine', ' now.']);
  });

  it('answers with a friendly failure after three failed provider calls', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'status', status: 500 });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai hello?');
    const [message] = await listener.waitForMessages(1);

    expect(message).toMatchObject({ content: AI_UNAVAILABLE_TEXT, sender: { id: null, username: 'ai' } });
    expect(h.openai.requests().length - before).toBe(3);
  });

  it('does not retry a request the provider rejects as invalid', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'status', status: 401 });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai hello?');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe(AI_UNAVAILABLE_TEXT);
    expect(h.openai.requests().length - before).toBe(1);
  });

  it('after a stream breaks, retries without streaming the text a second time', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'cut', chunks: ['Partial '] }, { kind: 'answer', chunks: ['Whole ', 'answer.'] });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai tell me');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('Whole answer.');
    expect(listener.deltas.map((d) => d.delta)).toEqual(['Partial ']);
    expect(h.openai.requests().slice(before).map((r) => r.stream)).toEqual([true, false]);
  });

  it('answers at once that the AI is not configured when there is no API key', async () => {
    const room = await h.seedRoom();
    const listener = await h.listen(1, room.roomId);
    await h.startWorker({ openaiApiKey: undefined });
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai hello');
    await h.command(room, room.bob, '/summary 5');
    const messages = await listener.waitForMessages(2);

    expect(messages.map((m) => [m.content, m.sender?.username])).toEqual([
      [AI_NOT_CONFIGURED_TEXT, 'ai'],
      [AI_NOT_CONFIGURED_TEXT, 'ai'],
    ]);
    await sleep(100);
    expect(h.openai.requests().length).toBe(before);
  });
});

describe('/summary', () => {
  it('sends exactly the last N messages to the model', async () => {
    const room = await h.seedRoom();
    await say(room, Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
    h.openai.script({ kind: 'answer', chunks: ['They counted.'] });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.command(room, room.bob, '/summary 4');
    const [message] = await listener.waitForMessages(1);

    expect(message).toMatchObject({ content: 'They counted.', seq: 11, sender: { id: null, username: 'ai' } });
    const [request] = h.openai.requests().slice(before);
    expect(request!.messages[0]).toEqual({ role: 'system', content: SUMMARY_SYSTEM_PROMPT });
    const transcript = request!.messages[1]!.content.split('\n').slice(1);
    expect(transcript).toEqual([
      `${room.alice.username}: line 7`,
      `${room.bob.username}: line 8`,
      `${room.alice.username}: line 9`,
      `${room.bob.username}: line 10`,
    ]);
  });
  it('summarises the messages up to the request, not those sent while the job waited', async () => {
    const room = await h.seedRoom();
    await say(room, Array.from({ length: 6 }, (_, i) => `before ${i + 1}`));
    h.openai.script({ kind: 'answer', chunks: ['Six lines.'] });
    const listener = await h.listen(0, room.roomId);
    const before = h.openai.requests().length;

    const jobId = await h.command(room, room.bob, '/summary 3');
    await say(room, ['after 1', 'after 2']); // sent while no worker has taken the job yet
    await h.startWorker();
    const [message] = await listener.waitForMessages(1);

    expect((await h.queues.ai.getJob(jobId))?.data).toMatchObject({ kind: 'summary', count: 3, upToSeq: 6 });
    expect(message).toMatchObject({ content: 'Six lines.', seq: 9 });
    const transcript = h.openai.requests()[before]!.messages[1]!.content.split('\n').slice(1);
    expect(transcript.map((line) => line.replace(/^\w+: /, ''))).toEqual(['before 4', 'before 5', 'before 6']);
  });

  it('answers "nothing to summarise" for a request made in an empty room, whatever came after', async () => {
    const room = await h.seedRoom();
    const listener = await h.listen(1, room.roomId);
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/summary');
    await say(room, ['too late']);
    await h.startWorker();
    const [message] = await listener.waitForMessages(1);

    expect(message).toMatchObject({ content: NOTHING_TO_SUMMARISE_TEXT, seq: 2 });
    expect(h.openai.requests().length).toBe(before);
  });

  it('summarises the latest messages for a job queued without upToSeq (by an older gateway)', async () => {
    const room = await h.seedRoom();
    await say(room, ['one', 'two', 'three']);
    h.openai.script({ kind: 'answer', chunks: ['Counted.'] });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.queues.ai.add('summary', { requestId: randomUUID(), roomId: room.roomId, requestedBy: room.alice, kind: 'summary', count: 2 });
    await listener.waitForMessages(1);

    const transcript = h.openai.requests()[before]!.messages[1]!.content.split('\n').slice(1);
    expect(transcript.map((line) => line.replace(/^\w+: /, ''))).toEqual(['two', 'three']);
  });

  it('fails a summary job with a negative upToSeq as invalid data, without a reply', async () => {
    const room = await h.seedRoom();
    await h.startWorker();

    const job = await h.queues.ai.add('summary', { requestId: randomUUID(), roomId: room.roomId, requestedBy: room.alice, kind: 'summary', count: 2, upToSeq: -1 });
    await waitFor('the job to fail', async () => (await job.getState()) === 'failed');

    expect((await h.queues.ai.getJob(job.id!))?.failedReason).toMatch(/invalid job data.*upToSeq/);
    expect(await h.botMessages(room.roomId)).toEqual([]);
  });
});

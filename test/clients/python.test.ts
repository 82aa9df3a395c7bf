import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryResponse, Message } from '@chat/contract';
import { repoRoot } from '@chat/testkit';
import { startChatCluster, type ChatCluster } from '../cluster/support/cluster.js';

const run = promisify(execFile);
/** Debian's python3, where scripts/ensure-deps.sh --test-clients installs python3-socketio. */
const python = process.env.CHAT_PYTHON ?? '/usr/bin/python3';
let chat: ChatCluster;

beforeAll(async () => {
  chat = await startChatCluster(2);
});
afterAll(async () => {
  await chat?.stop();
});

interface PythonRun {
  transport: string;
  joins: { ok: boolean }[];
  acks: { ok: boolean; message?: Message }[];
  ben: Message[];
  history: HistoryResponse;
}

describe("a client we did not write: Debian's python3-socketio through nginx", () => {
  it('registers, connects over WebSocket with its own Origin, joins, sends, and the other client receives in order; a repeated clientId creates nothing', async () => {
    const { stdout } = await run(python, [join(repoRoot, 'test/clients/python_client.py'), chat.url], { timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as PythonRun;
    expect(result.transport).toBe('websocket');
    expect(result.joins.map((j) => j.ok)).toEqual([true, true]);
    expect(result.acks.map((a) => a.ok)).toEqual([true, true, true, true]);
    const [one, two, oneAgain, three] = result.acks.map((a) => a.message!);
    // The repeat answers with the first message, stored once.
    expect(oneAgain).toEqual(one);
    const chatMessages = result.history.messages.filter((m) => m.type === 'message');
    expect(chatMessages.map((m) => m.content)).toEqual(['one', 'two', 'three']);
    expect(chatMessages.map((m) => m.id)).toEqual([one!.id, two!.id, three!.id]);
    // The second client got each of them once, in seq order.
    const received = result.ben.filter((m) => m.type === 'message');
    expect(received.map((m) => m.content)).toEqual(['one', 'two', 'three']);
    expect(received.map((m) => m.seq)).toEqual([...received.map((m) => m.seq)].sort((a, b) => a - b));
  });
});

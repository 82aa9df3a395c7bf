import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient } from '@chat/contract';
import { startCluster, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { call, closeAll, connect, ok, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { registerUser, roomWith } from '../support/users.js';

/**
 * `chat_rate_limit_refusals_total{kind}` on the real /metrics of the gateway (messages, commands)
 * and of the API (login), after the limits refused something.
 */

const MESSAGE_LIMIT = 2;
const COMMAND_LIMIT = 1;
const LOGIN_LIMIT = 2;

let cluster: Cluster;
const sockets: ChatSocket[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    databaseUrl: await useTestDatabase(),
    gateways: 1,
    nginx: false,
    gatewayEnv: { RATE_LIMIT_MESSAGES: String(MESSAGE_LIMIT), RATE_LIMIT_COMMANDS: String(COMMAND_LIMIT) },
    apiEnv: { RATE_LIMIT_LOGIN: String(LOGIN_LIMIT) },
  });
});
afterAll(async () => {
  closeAll(sockets);
  await cluster?.stop();
});

/** The value of `chat_rate_limit_refusals_total{kind=…}` on a service's /metrics (0 when absent). */
async function refusals(serviceUrl: string, kind: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  expect(text).toContain('# TYPE chat_rate_limit_refusals_total counter');
  const line = text.split('\n').find((l) => l.startsWith('chat_rate_limit_refusals_total{') && l.includes(`kind="${kind}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function joinedSocket(prefix: string): Promise<{ socket: ChatSocket; roomId: string }> {
  const owner = await registerUser(cluster.api.url, prefix);
  const roomId = await roomWith([owner]);
  const socket = await connect(cluster.gateways[0]!.url, owner.token);
  sockets.push(socket);
  ok(await call(socket, 'room:join', { roomId }));
  return { socket, roomId };
}

describe('chat_rate_limit_refusals_total', () => {
  it(`counts kind="messages" for each message:send, and a reaction:set, over RATE_LIMIT_MESSAGES=${MESSAGE_LIMIT}, and nothing for the ones let through`, async () => {
    const gateway = cluster.gateways[0]!.url;
    const before = await refusals(gateway, 'messages');
    const { socket, roomId } = await joinedSocket('chatty');
    const codes: string[] = [];
    let firstId: string | undefined;
    for (let i = 0; i < MESSAGE_LIMIT + 2; i++) {
      const ack = await call(socket, 'message:send', { roomId, content: `hello ${i}`, clientId: randomUUID() });
      if (ack.ok && 'message' in ack) firstId ??= ack.message.id;
      codes.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(codes).toEqual(['ok', 'ok', 'rate_limited', 'rate_limited']);
    expect(await refusals(gateway, 'messages')).toBe(before + 2);
    // Reactions spend the same budget.
    const reaction = await call(socket, 'reaction:set', { roomId, messageId: firstId!, emoji: '👍', on: true });
    expect(reaction.ok ? 'ok' : reaction.error.code).toBe('rate_limited');
    expect(await refusals(gateway, 'messages')).toBe(before + 3);
  });

  it(`counts kind="commands" for a "/help" over RATE_LIMIT_COMMANDS=${COMMAND_LIMIT}`, async () => {
    const gateway = cluster.gateways[0]!.url;
    const before = await refusals(gateway, 'commands');
    const { socket, roomId } = await joinedSocket('commander');
    const first = await call(socket, 'message:send', { roomId, content: '/help', clientId: randomUUID() });
    const second = await call(socket, 'message:send', { roomId, content: '/help', clientId: randomUUID() });
    expect([first.ok, second.ok ? 'ok' : second.error.code]).toEqual([true, 'rate_limited']);
    expect(await refusals(gateway, 'commands')).toBe(before + 1);
  });

  it(`counts kind="login" on the API for each login over RATE_LIMIT_LOGIN=${LOGIN_LIMIT} failures, not for the failures themselves`, async () => {
    const before = await refusals(cluster.api.url, 'login');
    const { user } = await registerUser(cluster.api.url, 'guessed');
    const rest = createRestClient({ baseUrl: cluster.api.url });
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < LOGIN_LIMIT + 2; i++) {
      outcomes.push(
        await rest.login({ body: { username: user.username, password: 'not the password' } }).then(
          () => 'logged in',
          (err: { code?: string }) => err.code,
        ),
      );
    }
    expect(outcomes).toEqual(['unauthorized', 'unauthorized', 'rate_limited', 'rate_limited']);
    expect(await refusals(cluster.api.url, 'login')).toBe(before + 2);
  });
});

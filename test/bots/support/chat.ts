import { RecordedClient } from '../../support/recorded-client.js';
import { registerUser, roomWith, type TestUser } from '../../support/users.js';

export interface TwoReplicaRoom {
  roomId: string;
  alice: TestUser;
  bob: TestUser;
  onGw1: RecordedClient;
  onGw2: RecordedClient;
}

/**
 * SDK clients that stay on the replica they landed on: a reconnect elsewhere would catch up
 * and hand on what the test says a client of a dead replica never got.
 */
export const onReplica = (url: string, replicaId: string, token: string): Promise<RecordedClient> =>
  RecordedClient.on(url, replicaId, token, { socket: { reconnection: false } });

/** A room with two members, alice's SDK client on gw1 and bob's on gw2, both joined; the clients go into `opened`. */
export async function twoReplicaRoom(url: string, opened: RecordedClient[]): Promise<TwoReplicaRoom> {
  const [alice, bob] = await Promise.all([registerUser(url, 'alice'), registerUser(url, 'bob')]);
  const roomId = await roomWith([alice, bob]);
  const onGw1 = await onReplica(url, 'gw1', alice.token);
  opened.push(onGw1);
  const onGw2 = await onReplica(url, 'gw2', bob.token);
  opened.push(onGw2);
  await onGw1.chat.join(roomId);
  await onGw2.chat.join(roomId);
  return { roomId, alice, bob, onGw1, onGw2 };
}

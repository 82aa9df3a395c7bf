import { createSubscriber, decodeControl, decodeRoomPayload, redisKeys, ShardedSubscriptions, type ControlEvent, type RoomEvent } from '@chat/runtime';
import type { Message } from '@chat/contract';

export interface RoomRecording {
  /** Every event on the room's channel, in arrival order. */
  events: RoomEvent[];
  /** The stored messages among them. */
  messages(): Message[];
}

/**
 * Reads the channels the gateways read (a room's sharded channel, the control channel)
 * and records what the API publishes there, decoded as a gateway decodes it: what
 * the gateways then do with it is tested in the gateway's own suite.
 */
export async function recordChannels(redisUrl: string) {
  const subscriber = createSubscriber(redisUrl);
  const channels = new ShardedSubscriptions(subscriber);
  const control: ControlEvent[] = [];
  await channels.subscribe(redisKeys.controlChannel, (payload) => {
    const event = decodeControl(payload);
    if (event) control.push(event);
  });
  return {
    control,
    async room(roomId: string): Promise<RoomRecording> {
      const events: RoomEvent[] = [];
      await channels.subscribe(redisKeys.roomChannel(roomId), (payload) => {
        const decoded = decodeRoomPayload(payload);
        if (decoded?.origin === 'api') events.push(decoded.event);
      });
      return { events, messages: () => events.flatMap((e) => (e.kind === 'messages' ? e.messages : [])) };
    },
    async close(): Promise<void> {
      await channels.close();
      await subscriber.quit().catch(() => undefined);
    },
  };
}

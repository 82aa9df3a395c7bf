import { createSubscriber, decodeControl, decodeRoomPayload, redisKeys, ShardedSubscriptions, type ControlEvent, type RoomEvent } from '@chat/runtime';
import type { Message } from '@chat/contract';

/** A room event with its messages parsed. */
export type RecordedEvent = Exclude<RoomEvent, { kind: 'messages' }> | { kind: 'messages'; messages: Message[] };

export interface RoomRecording {
  /** Every event on the room's channel, in arrival order. */
  events: RecordedEvent[];
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
      const events: RecordedEvent[] = [];
      await channels.subscribe(redisKeys.roomChannel(roomId), (payload) => {
        const decoded = decodeRoomPayload(payload);
        if (decoded?.origin !== 'api') return;
        const { event } = decoded;
        events.push(event.kind === 'messages' ? { kind: 'messages', messages: event.messages.map((text) => text.message) } : event);
      });
      return { events, messages: () => events.flatMap((e) => (e.kind === 'messages' ? e.messages : [])) };
    },
    async close(): Promise<void> {
      await channels.close();
      await subscriber.quit().catch(() => undefined);
    },
  };
}

import { Redis } from '../redis/client.js';
import type { ShardedSubscriber } from '../redis/cluster-subscriber.js';

type Handler = (payload: string) => void;


/**
 * Sharded-channel subscriptions on one subscriber connection (which may carry the
 * Socket.IO adapter's too): each channel has one handler, `subscribe` resolves once
 * Redis confirmed it, and messages of channels that are not ours are left alone.
 */
export class ShardedSubscriptions {
  private readonly handlers = new Map<string, Handler>();
  private readonly listener = (channel: Buffer, message: Buffer): void => {
    const handler = this.handlers.get(channel.toString());
    handler?.(message.toString());
  };

  constructor(private readonly subscriber: ShardedSubscriber) {
    subscriber.on('smessageBuffer', this.listener);
  }

  async subscribe(channel: string, handler: Handler): Promise<void> {
    this.handlers.set(channel, handler);
    try {
      await this.subscriber.ssubscribe(channel);
    } catch (err) {
      if (this.handlers.get(channel) === handler) this.handlers.delete(channel);
      throw err;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.handlers.delete(channel)) return;
    await this.subscriber.sunsubscribe(channel);
  }

  /**
   * Calls `listener` each time the connection came back and its channels are subscribed
   * again: whatever was published while it was away is lost, and readers catch up from
   * the database. (On a single Redis, once a PING behind the resubscriptions answered; on a
   * cluster, the ClusterSubscriber says when.)
   */
  onReconnected(listener: () => void): () => void {
    const subscriber = this.subscriber;
    if (!(subscriber instanceof Redis)) {
      subscriber.on('resubscribed', listener);
      return () => subscriber.off('resubscribed', listener);
    }
    let first = subscriber.status !== 'ready';
    const onReady = (): void => {
      if (first) {
        first = false;
        return;
      }
      // 'ready' comes before ioredis re-sends the subscriptions; a PING queued after them answers once they are in.
      setImmediate(() => {
        subscriber.ping().then(listener, () => undefined);
      });
    };
    subscriber.on('ready', onReady);
    return () => subscriber.off('ready', onReady);
  }

  get size(): number {
    return this.handlers.size;
  }

  /** Leaves every channel of ours and stops listening. */
  async close(): Promise<void> {
    const channels = [...this.handlers.keys()];
    this.handlers.clear();
    this.subscriber.off('smessageBuffer', this.listener);
    // One by one: on a cluster, a command's channels must share a slot.
    await Promise.all(channels.map((channel) => this.subscriber.sunsubscribe(channel)));
  }
}

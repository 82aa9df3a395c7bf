import { EventEmitter } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * What a sharded-channel subscriber offers: the subset of ioredis's API that
 * `@socket.io/redis-adapter`'s sharded adapter and our ShardedSubscriptions use.
 * A single Redis's ioredis client is one as it is; on a cluster it is a ClusterSubscriber.
 */
export interface ShardedSubscriber extends EventEmitter {
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** How often the subscriber asks the cluster who serves which slots (a failover shows within about this). */
const TOPOLOGY_REFRESH_MS = 1_000;

/**
 * Sharded pub/sub on a Redis Cluster: one subscriber connection per master that serves
 * a subscribed channel, each channel subscribed on the master of its slot. A command
 * connection of its own refreshes the slot map every second; when a channel's slot has
 * moved (a failover promoted a replica, slots were migrated) the channel is subscribed
 * again where it now lives, and 'resubscribed' tells the reader that what was published
 * meanwhile is lost (so it reads it from the store). A master's connection that drops
 * and comes back re-subscribes its channels by itself and says 'resubscribed' too.
 *
 * (ioredis's own `shardedSubscribers` mode was tried first: after a master's SIGKILL it
 * sometimes came back without some channels, and nothing told the reader.)
 *
 * Emits 'smessageBuffer' (channel, message) and 'smessage' as ioredis does, 'resubscribed',
 * and 'error' for connection errors.
 */
export class ClusterSubscriber extends EventEmitter implements ShardedSubscriber {
  private readonly topology: Cluster;
  /** Subscriber connections by node key (`host:port`). */
  private readonly connections = new Map<string, Redis>();
  /** Every subscribed channel and the node it is subscribed on. */
  private readonly channels = new Map<string, string>();
  private closed = false;

  constructor(
    startupNodes: { host: string; port: number }[],
    private readonly nodeOptions: RedisOptions,
  ) {
    super();
    this.topology = new Cluster(startupNodes, {
      slotsRefreshInterval: TOPOLOGY_REFRESH_MS,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
      redisOptions: { ...nodeOptions, connectionName: nodeOptions.connectionName && `${nodeOptions.connectionName}:topology` },
    });
    this.topology.on('error', (err: unknown) => this.emit('error', err));
    this.topology.on('refresh', () => this.follow());
  }

  get status(): string {
    return this.closed ? 'end' : this.topology.status;
  }

  async ssubscribe(...channels: string[]): Promise<number> {
    await this.ready();
    await Promise.all(
      channels.map(async (channel) => {
        const node = this.ownerOf(channel);
        this.channels.set(channel, node);
        await this.connection(node).ssubscribe(channel);
      }),
    );
    return this.channels.size;
  }

  async sunsubscribe(...channels: string[]): Promise<number> {
    await Promise.all(
      channels.map(async (channel) => {
        const node = this.channels.get(channel);
        this.channels.delete(channel);
        const connection = node === undefined ? undefined : this.connections.get(node);
        if (connection && connection.status !== 'end') await connection.sunsubscribe(channel);
      }),
    );
    return this.channels.size;
  }

  async quit(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.connections.values()].map((c) => c.quit()));
    this.connections.clear();
    await this.topology.quit().catch(() => undefined);
  }

  disconnect(): void {
    this.closed = true;
    for (const connection of this.connections.values()) connection.disconnect();
    this.connections.clear();
    this.topology.disconnect();
  }

  private async ready(): Promise<void> {
    if (this.closed) throw new Error('the subscriber is closed');
    if (this.topology.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        this.topology.off('end', onEnd);
        resolve();
      };
      const onEnd = (): void => {
        this.topology.off('ready', onReady);
        reject(new Error('the Redis Cluster connection ended'));
      };
      this.topology.once('ready', onReady);
      this.topology.once('end', onEnd);
    });
  }

  /** The master serving `channel`'s slot, as `host:port`. */
  private ownerOf(channel: string): string {
    const node = this.topology.slots[calculateSlot(channel)]?.[0];
    if (!node) throw new Error(`no Redis Cluster master serves the slot of ${channel}`);
    return node;
  }

  private connection(node: string): Redis {
    const known = this.connections.get(node);
    if (known) return known;
    const at = node.lastIndexOf(':');
    const connection = new Redis({
      ...this.nodeOptions,
      host: node.slice(0, at),
      port: Number(node.slice(at + 1)),
      lazyConnect: false,
      autoResubscribe: true,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    let connectedBefore = false;
    connection.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      // 'ready' comes before ioredis re-sends the subscriptions; a PING queued after them answers once they are in.
      setImmediate(() => connection.ping().then(() => this.emit('resubscribed'), () => undefined));
    });
    connection.on('smessageBuffer', (channel: Buffer, message: Buffer) => this.emit('smessageBuffer', channel, message));
    connection.on('smessage', (channel: string, message: string) => this.emit('smessage', channel, message));
    connection.on('error', (err: unknown) => this.emit('error', err));
    this.connections.set(node, connection);
    return connection;
  }

  /** After a slot-map refresh: moves every channel whose slot has a new master there, and closes connections no channel needs. */
  private follow(): void {
    if (this.closed) return;
    const moves: Promise<unknown>[] = [];
    for (const [channel, node] of this.channels) {
      let owner: string;
      try {
        owner = this.ownerOf(channel);
      } catch (err) {
        this.emit('error', err);
        continue;
      }
      if (owner === node) continue;
      this.channels.set(channel, owner);
      const old = this.connections.get(node);
      if (old && old.status === 'ready') moves.push(old.sunsubscribe(channel).catch(() => undefined));
      moves.push(this.connection(owner).ssubscribe(channel));
    }
    const needed = new Set(this.channels.values());
    for (const [node, connection] of this.connections) {
      if (needed.has(node)) continue;
      this.connections.delete(node);
      connection.disconnect();
    }
    if (moves.length === 0) return;
    Promise.all(moves).then(
      () => this.emit('resubscribed'),
      (err: unknown) => this.emit('error', err),
    );
  }
}

import { Redis } from 'ioredis';

/** The RESP bulk-string framing around a reply of `bytes` bytes: `$<bytes>\r\n` … `\r\n`. */
const bulkFraming = (bytes: number): number => String(bytes).length + 5;

/** `total_net_output_bytes` of an `INFO stats` reply. */
export function outputBytesOf(info: string): number {
  const match = /^total_net_output_bytes:(\d+)\r?$/m.exec(info);
  if (!match) throw new Error('INFO stats has no total_net_output_bytes');
  return Number(match[1]);
}

/**
 * Redis's own counters, read from every node a target's servers use (one, or each node of
 * a cluster): the bytes it wrote to its clients, and the subscribers of shard channels.
 */
export class RedisStats {
  private readonly nodes: { redis: Redis; ownReplyBytes: number }[];

  constructor(urls: readonly string[]) {
    this.nodes = urls.map((url) => ({ redis: new Redis(url, { maxRetriesPerRequest: 1 }), ownReplyBytes: 0 }));
  }

  /**
   * Bytes Redis has written to clients so far, summed over the nodes (INFO stats
   * total_net_output_bytes), less this reader's own INFO replies: each reply is counted
   * by the next one, and a few of them would show in the figures of a short step.
   */
  async outputBytes(): Promise<number> {
    const perNode = await Promise.all(
      this.nodes.map(async (node) => {
        const info = await node.redis.info('stats');
        const written = outputBytesOf(info) - node.ownReplyBytes;
        const bytes = Buffer.byteLength(info);
        node.ownReplyBytes += bytes + bulkFraming(bytes);
        return written;
      }),
    );
    return perNode.reduce((a, b) => a + b, 0);
  }

  /** Subscribers of each shard channel (PUBSUB SHARDNUMSUB): nodes that do not serve its slot count none, so the sum is the owner's. */
  async shardSubscribers(channels: readonly string[]): Promise<number[]> {
    const counts = channels.map(() => 0);
    if (channels.length === 0) return counts;
    for (const { redis } of this.nodes) {
      // The reply alternates channel and count.
      const reply = (await redis.call('PUBSUB', 'SHARDNUMSUB', ...channels)) as (string | number)[];
      channels.forEach((_, i) => {
        counts[i]! += Number(reply[2 * i + 1]);
      });
    }
    return counts;
  }

  close(): void {
    for (const { redis } of this.nodes) redis.disconnect();
  }
}

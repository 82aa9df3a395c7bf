import { Counter, Gauge, Histogram, type Registry } from '@chat/runtime';

export interface GatewayMetrics {
  /** Socket.IO `message` events written to this replica's sockets. */
  delivered: Counter;
  /** From a `message:send` arriving to its ack, by kind (message/command) and outcome (ok or error code). */
  sendDuration: Histogram<'kind' | 'outcome'>;
  /** Messages stored per group commit. */
  commitBatchSize: Histogram;
  presenceChanges: Counter<'status'>;
  /** Payloads Redis handed this replica on room channels, by whether it had published them itself. */
  roomPayloads: Counter<'from'>;
  /** Socket.IO handshakes refused, by reason (see auth/handshake.ts). */
  handshakeRefusals: Counter<'reason'>;
  /** Read cursors written to PostgreSQL (coalesced: at most one per user and room a second). */
  cursorWrites: Counter;
  /** Sends the per-user rate limits refused (`rate_limited`), by budget: messages (reactions too) or commands. */
  rateLimitRefusals: Counter<'kind'>;
  /** Dead replicas whose presence this replica counted out (they died without clearing it). */
  deadReplicaSweeps: Counter;
}

export function createGatewayMetrics(
  registry: Registry,
  connectedSockets: () => number,
  sendsAwaitingCommit: () => number,
  roomChannels: () => number,
): GatewayMetrics {
  new Gauge({
    name: 'chat_room_channels_subscribed',
    help: 'Room channels this replica reads: one per room it holds a socket in (plus the control channel)',
    registers: [registry],
    collect() {
      this.set(roomChannels());
    },
  });
  new Gauge({
    name: 'chat_sends_awaiting_commit',
    help: 'Chat messages accepted by this replica and not yet committed (waiting for a group commit, or in one)',
    registers: [registry],
    collect() {
      this.set(sendsAwaitingCommit());
    },
  });
  new Gauge({
    name: 'chat_connected_sockets',
    help: 'Socket.IO sockets connected to this replica',
    registers: [registry],
    collect() {
      this.set(connectedSockets());
    },
  });
  return {
    delivered: new Counter({
      name: 'chat_messages_delivered_total',
      help: 'Chat messages written to sockets of this replica (one per receiving socket)',
      registers: [registry],
    }),
    sendDuration: new Histogram({
      name: 'chat_message_send_duration_seconds',
      help: 'message:send latency, from the event to its ack (includes the commit)',
      labelNames: ['kind', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commitBatchSize: new Histogram({
      name: 'chat_commit_batch_size',
      help: 'Messages stored in one group commit',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers: [registry],
    }),
    presenceChanges: new Counter({
      name: 'chat_presence_changes_total',
      help: 'Presence events emitted by this replica',
      labelNames: ['status'],
      registers: [registry],
    }),
    roomPayloads: new Counter({
      name: 'chat_room_channel_payloads_total',
      help: 'Payloads received on room channels (stored messages, AI deltas, leaves); from="self": published by this replica, skipped',
      labelNames: ['from'],
      registers: [registry],
    }),
    cursorWrites: new Counter({
      name: 'chat_read_cursor_writes_total',
      help: 'Read cursors written to PostgreSQL, coalesced per user and room (at most one a second each)',
      registers: [registry],
    }),
    handshakeRefusals: new Counter({
      name: 'chat_handshake_refusals_total',
      help: 'Socket.IO handshakes refused, by reason: no_token, invalid_token, logged_out, deleted, too_many_sockets, unavailable, origin',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: 'chat_rate_limit_refusals_total',
      help: 'Sends refused (rate_limited) by the per-user rate limits, by budget: messages (chat messages and reactions), commands',
      labelNames: ['kind'],
      registers: [registry],
    }),
    deadReplicaSweeps: new Counter({
      name: 'chat_presence_dead_replica_sweeps_total',
      help: "Dead gateway replicas whose presence members this replica counted out (each member by one survivor)",
      registers: [registry],
    }),
  };
}

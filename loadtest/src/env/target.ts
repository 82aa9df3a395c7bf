import type { CpuGroup } from '../measure/resources.js';

export type TargetName = 'ours' | 'baseline';

/** A user the load runner acts as. */
export interface Account {
  id: string;
  token: string;
}

/** A Socket.IO server process whose memory and socket count the runner reads. */
export interface ServerEndpoint {
  name: string;
  /** Prometheus text with prom-client's default process metrics. */
  metricsUrl: string;
  /** JSON with `sockets`. */
  healthUrl: string;
  /** Its base URL, for --direct. */
  url: string;
  /** Its inspector's WebSocket URL, to force a GC before reading the heap (local servers only). */
  inspector?: () => string | undefined;
  /** Its process id, to read its own CPU (local servers only). */
  pid?: number;
}

/** A system under test: ours (nginx, API, gateways) or the bare baseline. */
export interface Target {
  name: TargetName;
  /** Where sockets connect (round-robin): nginx, or each gateway with --direct. */
  socketUrls: string[];
  servers: ServerEndpoint[];
  /** Server-side processes whose CPU is counted (empty for a remote target). */
  cpuGroups: CpuGroup[];
  /** Every Redis node the servers use, to read its own counters (empty for a remote target). */
  redisUrls: string[];
  createAccounts(count: number, prefix: string): Promise<Account[]>;
  /** A room owned by `owner`; returns its id. */
  createRoom(owner: Account, name: string): Promise<string>;
  /** Makes `account` a member (REST join); a no-op where membership does not exist. */
  addMember(account: Account, roomId: string): Promise<void>;
  stop(): Promise<void>;
}

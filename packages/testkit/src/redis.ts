import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './lifetime.js';
import { freePort, isListening, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';

export interface RedisServer {
  url: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Data directory; a temp dir (removed on stop) when omitted. */
  dataDir?: string;
  /** Keep an append-only file (as production does). @default false */
  appendOnly?: boolean;
  echo?: boolean;
  logFile?: string;
}

/** A private redis-server on a free port, with the settings BullMQ needs. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'chat-redis-')));
  const forgetDir = options.dataDir ? () => undefined : removeOnExit(dir);
  const port = await freePort();
  const proc = startProcess(
    'redis',
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', options.appendOnly ? 'yes' : 'no',
      '--maxmemory-policy', 'noeviction',
      '--protected-mode', 'yes',
      '--maxclients', '20000',
    ],
    { echo: options.echo, logFile: options.logFile },
  );
  await waitFor(`redis-server on ${port}`, async () => {
    if (proc.child.exitCode !== null) throw new WaitAborted(`redis-server exited: ${proc.output()}`);
    return isListening(port);
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: proc,
    stop: () =>
      (stopped ??= (async () => {
        await proc.stop(5_000);
        if (!options.dataDir) {
          await rm(dir, { recursive: true, force: true });
          forgetDir();
        }
      })()),
  };
}

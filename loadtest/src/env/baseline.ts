import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { freePort, repoRoot, startNginx, startProcess, startRedis, waitFor, type PostgresServer } from '@chat/testkit';
import { inspectorUrl } from '../measure/gc.js';
import { profileArgs } from './ours.js';
import type { ServerEndpoint, Target } from './target.js';

export interface BaselineOptions {
  pg: PostgresServer;
  /** Processes, like gateways. */
  servers: number;
  direct: boolean;
  /** Write each server's CPU profile (node --cpu-prof) here when it stops. */
  profileDir: string | undefined;
  echo: boolean;
}

/** N bare servers (loadtest/baseline/server.ts) on their own Redis, behind nginx like ours. */
export async function startBaseline(options: BaselineOptions): Promise<Target> {
  const database = `baseline_${Date.now().toString(36)}`;
  await options.pg.sql(`create database "${database}"`);
  const redis = await startRedis({ appendOnly: true });
  const processes: { name: string; port: number; stop(): Promise<void>; pid: number | undefined; output(): string }[] = [];
  try {
    for (let i = 0; i < options.servers; i++) {
      const port = await freePort();
      const name = `baseline-${i + 1}`;
      const args = [...profileArgs(options.profileDir, name), '--inspect=127.0.0.1:0', '--import', 'tsx', join(repoRoot, 'loadtest/baseline/server.ts')];
      const proc = startProcess(name, process.execPath, args, {
        env: { ...process.env, PORT: String(port), REDIS_URL: redis.url, DATABASE_URL: options.pg.databaseUrl(database), NODE_ENV: 'production' },
        echo: options.echo,
      });
      processes.push({ name, port, pid: proc.child.pid, stop: () => proc.stop(5_000), output: () => proc.output() });
      await waitFor(`${name} /health`, async () => {
        if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok ?? false;
      }, 30_000, 100);
    }
    // nginx needs an API upstream; the baseline has none, so any address will do.
    const nginx = await startNginx({
      apiAddress: '127.0.0.1:9',
      gateways: processes.map((p, i) => ({ replicaId: `b${i + 1}`, address: `127.0.0.1:${p.port}` })),
      workerProcesses: 'auto',
      echo: options.echo,
    });
    const servers: ServerEndpoint[] = processes.map((p) => {
      const url = `http://127.0.0.1:${p.port}`;
      return { name: p.name, url, metricsUrl: `${url}/metrics`, healthUrl: `${url}/health`, inspector: () => inspectorUrl(p.output()), pid: p.pid };
    });
    return {
      name: 'baseline',
      socketUrls: options.direct ? servers.map((s) => s.url) : [nginx.url],
      servers,
      cpuGroups: [
        { name: 'gateways', pids: processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid])), tree: false },
        { name: 'nginx', pids: nginx.process.child.pid === undefined ? [] : [nginx.process.child.pid], tree: true },
        { name: 'redis', pids: redis.process.child.pid === undefined ? [] : [redis.process.child.pid], tree: false },
        { name: 'postgres', pids: options.pg.process.child.pid === undefined ? [] : [options.pg.process.child.pid], tree: true },
      ],
      redisUrls: [redis.url],
      // Any non-empty token is accepted as the user's id; rooms are just names.
      createAccounts: async (count, prefix) => Array.from({ length: count }, (_, i) => ({ id: `${prefix}_${i}`, token: `${prefix}_${i}` })),
      createRoom: async () => randomUUID(),
      addMember: async () => undefined,
      stop: async () => {
        await nginx.stop();
        await Promise.all(processes.map((p) => p.stop()));
        await redis.stop();
        await options.pg.sql(`drop database if exists "${database}" with (force)`);
      },
    };
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.stop();
    throw err;
  }
}

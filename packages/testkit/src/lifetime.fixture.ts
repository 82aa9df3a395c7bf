/**
 * A parent for lifetime.test.ts: starts a Redis (temp dir) and a shell with two
 * children of its own (as nginx has workers), prints their pids as one JSON line,
 * then waits to be signalled or killed. With `--own-handler` it handles SIGINT and
 * SIGTERM itself as scripts/up.ts does: it reports whether its children are still
 * up when the signal arrives, then exits 0 after a moment.
 */
import { readFileSync } from 'node:fs';
import { startProcess } from './process.js';
import { startRedis } from './redis.js';
import { waitFor } from './ports.js';

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const redis = await startRedis();
const shell = startProcess('shell', 'sh', ['-c', 'sleep 300 & echo $!; sleep 300 & echo $!; wait']);
await waitFor('the shell children', () => shell.output().trim().split('\n').length >= 2);
const workers = shell.output().trim().split('\n').map(Number);
const args = redis.process.child.spawnargs;
const redisDir = args[args.indexOf('--dir') + 1];
const pids = { parent: process.pid, redis: redis.process.child.pid, shell: shell.child.pid, workers, redisDir };

if (process.argv.includes('--own-handler')) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const up = [pids.redis!, pids.shell!, ...workers].every(alive);
      process.stdout.write(`${JSON.stringify({ signal, childrenUpDuringHandler: up })}\n`);
      setTimeout(() => process.exit(0), 300);
    });
  }
}
process.stdout.write(`${JSON.stringify(pids)}\n`);
setInterval(() => undefined, 60_000);

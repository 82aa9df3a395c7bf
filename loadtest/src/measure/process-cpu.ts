import { readdirSync, readFileSync } from 'node:fs';

const gone = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
};

/**
 * CPU seconds a process has used so far, to the nanosecond: its threads' run time from
 * /proc/<pid>/task/<tid>/schedstat, summed. /proc/<pid>/stat counts in clock ticks
 * (10 ms), too coarse for a gateway that spends microseconds per message over a step
 * of a few thousand messages. A thread that exits takes its time with it; a Node
 * process's threads (main, libuv pool, V8 helpers) live as long as it does.
 * undefined once the process is gone.
 */
export function processCpuSeconds(pid: number): number | undefined {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch (err) {
    if (gone(err)) return undefined;
    throw err;
  }
  let nanoseconds = 0;
  for (const thread of threads) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    } catch (err) {
      // A thread that ended between the listing and the read has no time left to count.
      if (!gone(err)) throw err;
    }
  }
  return nanoseconds / 1e9;
}

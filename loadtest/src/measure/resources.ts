import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerEndpoint } from '../env/target.js';
import { collectGarbage } from './gc.js';

const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch (err) {
    if (err instanceof Error) return 100;
    throw err;
  }
})();

/** A group of server processes whose CPU is counted together (e.g. "gateways", "postgres"). */
export interface CpuGroup {
  name: string;
  pids: number[];
  /** Count every descendant too (PostgreSQL backends, nginx workers). */
  tree: boolean;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: CPU of children that exited and were waited for, in ticks. */
  children: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(fields[i - 3]);
  return { pid, ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** CPU seconds used so far by each group (live processes, plus children that already exited). */
export function cpuSeconds(groups: CpuGroup[]): Record<string, number> {
  const needTree = groups.some((g) => g.tree);
  const stats = needTree ? allStats() : [];
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const siblings = byParent.get(s.ppid);
    if (siblings) siblings.push(s);
    else byParent.set(s.ppid, [s]);
  }
  const result: Record<string, number> = {};
  for (const group of groups) {
    let ticks = 0;
    for (const pid of group.pids) {
      const root = readStat(pid);
      if (!root) continue;
      ticks += root.own + root.children;
      if (!group.tree) continue;
      const queue = [...(byParent.get(pid) ?? [])];
      while (queue.length > 0) {
        const child = queue.pop()!;
        ticks += child.own;
        queue.push(...(byParent.get(child.pid) ?? []));
      }
    }
    result[group.name] = ticks / CLOCK_TICKS;
  }
  return result;
}

export const diff = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));

/** Values of a Prometheus text exposition, by metric name (labels summed). */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) values.set(match[1]!, (values.get(match[1]!) ?? 0) + value);
  }
  return values;
}

/** A server's process memory as its /metrics reports it (prom-client's default metrics). */
export interface MemorySample {
  heapUsed: number;
  rss: number;
  sockets: number;
}

/** Reads a server's memory; with an inspector, after a full GC (live objects only). */
export async function memorySample(server: ServerEndpoint): Promise<MemorySample> {
  const inspector = server.inspector?.();
  if (inspector) await collectGarbage(inspector);
  const [metrics, health] = await Promise.all([scrapeMetrics(server.metricsUrl), fetch(server.healthUrl).then((r) => r.json() as Promise<{ sockets?: number }>)]);
  return {
    heapUsed: metrics.get('nodejs_heap_size_used_bytes') ?? NaN,
    rss: metrics.get('process_resident_memory_bytes') ?? NaN,
    sockets: health.sockets ?? metrics.get('chat_connected_sockets') ?? NaN,
  };
}

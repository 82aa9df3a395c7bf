import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { cpuSeconds, diff, type CpuGroup } from './resources.js';

export interface WindowReport {
  seconds: number;
  /** Server CPU seconds used in the window, by process group. */
  cpuSeconds: Record<string, number>;
  /** NaN when no server process is known (a remote target). */
  totalCpuSeconds: number;
  /** Event-loop utilisation of this load generator (near 1: it, not the server, was the limit). */
  clientEventLoop: number;
}

/** A stretch of time over which server CPU and the generator's own load are measured. */
export class MeasureWindow {
  private readonly startedAt = performance.now();
  private readonly cpuAtStart: Record<string, number>;
  private readonly eluAtStart: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly groups: CpuGroup[]) {
    this.cpuAtStart = cpuSeconds(groups);
  }

  /** This generator's event-loop utilisation from the start until now (e.g. over the sends only). */
  clientEventLoopSoFar(): number {
    return performance.eventLoopUtilization(this.eluAtStart).utilization;
  }

  finish(): WindowReport {
    const cpu = diff(cpuSeconds(this.groups), this.cpuAtStart);
    return {
      seconds: (performance.now() - this.startedAt) / 1000,
      cpuSeconds: cpu,
      totalCpuSeconds: this.groups.length === 0 ? NaN : Object.values(cpu).reduce((a, b) => a + b, 0),
      clientEventLoop: performance.eventLoopUtilization(this.eluAtStart).utilization,
    };
  }
}

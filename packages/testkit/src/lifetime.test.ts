import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './ports.js';

const fixture = fileURLToPath(new URL('./lifetime.fixture.ts', import.meta.url));

interface Started {
  parent: number;
  redis: number;
  shell: number;
  workers: number[];
  redisDir: string;
}

/** Alive and not a zombie (this machine's init may never reap orphans). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const parents: ChildProcess[] = [];
afterEach(() => {
  for (const p of parents.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** The fixture as a parent process of its own, once it has started everything. */
async function startParent(...args: string[]) {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  parents.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor('the fixture to start its children', () => out.includes('"redisDir"'), 30_000);
  const line = out.split('\n').find((l) => l.includes('"redisDir"'))!;
  const started = JSON.parse(line) as Started;
  const all = [started.redis, started.shell, ...started.workers];
  expect(all.every(alive), out).toBe(true);
  expect(existsSync(started.redisDir)).toBe(true);
  return { child, started, all, exited, output: () => out };
}

async function expectAllGone(all: number[], dir: string): Promise<void> {
  await waitFor('every child and grandchild to be gone', () => !all.some(alive), 10_000);
  await waitFor('the temp dir to be removed', () => !existsSync(dir), 10_000);
}

describe("a testkit parent's children and temp dirs", () => {
  it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)('go when the parent gets %s and nothing else handles it; the parent still ends by it', async (signal) => {
    const { child, started, all, exited } = await startParent();
    child.kill(signal);
    expect(await exited).toEqual({ code: null, signal });
    await expectAllGone(all, started.redisDir);
  });

  it('go when the parent is SIGKILLed (the reaper cleans up), grandchildren included', async () => {
    const { child, started, all, exited } = await startParent();
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    await expectAllGone(all, started.redisDir);
  });

  it("wait for a parent that handles the signal itself (as npm run up does), and go when it exits", async () => {
    const { child, started, all, exited, output } = await startParent('--own-handler');
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output()).toContain('"childrenUpDuringHandler":true');
    await expectAllGone(all, started.redisDir);
  });

  it('run in process groups of their own, so a Ctrl-C to the parent group does not reach them', async () => {
    const { started } = await startParent();
    const pgid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\) /, '').split(' ')[2]);
    expect(pgid(started.redis)).toBe(started.redis);
    expect(pgid(started.shell)).toBe(started.shell);
    expect(started.workers.map(pgid)).toEqual([started.shell, started.shell]);
    expect(pgid(started.parent)).not.toBe(started.redis);
  });
});

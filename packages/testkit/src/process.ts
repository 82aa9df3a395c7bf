import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { killGroup, trackChild } from './lifetime.js';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  /** `signal` (SIGTERM unless told; PostgreSQL and nginx stop gracefully on others), then SIGKILL to its whole process group after `graceMs`; idempotent. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
  /** Sends `signal` to the process; SIGKILL (the default) goes to its whole process group, as when a machine dies. */
  kill(signal?: NodeJS.Signals): void;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

export interface StartOptions extends SpawnOptions {
  /** Also append the output to this file. */
  logFile?: string;
  /** Echo output to this process's stdout with a `[name]` prefix. */
  echo?: boolean;
}

/**
 * Starts a child that cannot outlive this process (see lifetime.ts). It leads
 * its own process group unless `detached: false` is given: a terminal's Ctrl-C
 * then reaches only this process, which stops its children in its own order.
 */
export function startProcess(name: string, command: string, args: string[], options: StartOptions = {}): ManagedProcess {
  const { logFile, echo, ...spawnOptions } = options;
  const group = spawnOptions.detached ?? true;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions, detached: group });
  trackChild(child, group);
  const chunks: string[] = [];
  let size = 0;
  const file = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  const collect = (data: Buffer): void => {
    const text = data.toString();
    chunks.push(text);
    size += text.length;
    while (size > 1_000_000 && chunks.length > 1) size -= chunks.shift()!.length;
    file?.write(data);
    if (echo) process.stdout.write(text.replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      file?.end();
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      chunks.push(String(err));
      resolve('spawn-error');
    });
  });

  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    name,
    child,
    exited,
    output: () => chunks.join(''),
    kill: (signal = 'SIGKILL') => {
      if (signal === 'SIGKILL') killGroup(child, group, signal);
      else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: (graceMs = 10_000, signal = 'SIGTERM') => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill(signal);
        const timer = setTimeout(() => killGroup(child, group, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  return managed;
}

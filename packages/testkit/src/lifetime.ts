import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { testkitEnv } from './testkit.config.js';

/**
 * What this process started must not outlive it, however it ends:
 *
 * - a normal exit (`process.exit`, the event loop draining, a test runner or
 *   `npm run up` finishing): the 'exit' hook kills every child's process group
 *   and removes the temp dirs, synchronously;
 * - SIGINT, SIGTERM or SIGHUP: when nobody else handles the signal, the same
 *   cleanup, then the signal is raised again so the process ends as it would
 *   have. When someone does (vitest's main process, scripts/up.ts, which stops
 *   things in its own order), they decide; the 'exit' hook is the backstop;
 * - SIGKILL or a crash, where no code runs: a small reaper process watches a
 *   pipe from this one; when the pipe closes it kills the registered process
 *   groups and removes the temp dirs.
 *
 * Children run in their own process group (`detached`), so a terminal's Ctrl-C
 * reaches only this process, which stops them in its order, and a group kill
 * takes a child's own children too (nginx's workers). pdeathsig (setpriv) was
 * not enough: it ends only the direct child, not nginx's workers, and removes no
 * temp dir.
 */

interface Tracked {
  child: ChildProcess;
  /** Its own process group: kill the whole group. */
  group: boolean;
}

const children = new Set<Tracked>();
const tempDirs = new Set<string>();
let installed = false;
let reaper: ChildProcess | undefined;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs in the reaper: `+g <pgid>`, `-g <pgid>`, `+d <dir>`, `-d <dir>` lines until EOF, then cleans up. */
const REAPER_SCRIPT = `
const { rmSync } = require('node:fs');
const groups = new Set(); const dirs = new Set(); let buffer = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, nl); buffer = buffer.slice(nl + 1);
    const [op, kind] = [line[0], line[1]]; const value = line.slice(3);
    const set = kind === 'g' ? groups : dirs;
    if (op === '+') set.add(value); else set.delete(value);
  }
});
process.stdin.on('end', () => {
  for (const g of groups) { try { process.kill(-Number(g), 'SIGKILL'); } catch {} }
  for (const d of dirs) { try { rmSync(d, { recursive: true, force: true }); } catch {} }
  process.exit(0);
});
`;

function tellReaper(line: string): void {
  if (!reaper?.stdin?.writable) return;
  reaper.stdin.write(`${line}\n`);
}

function startReaper(): void {
  try {
    const r = spawn(process.execPath, ['-e', REAPER_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: { PATH: testkitEnv.path() } });
    r.on('error', () => {
      reaper = undefined;
    });
    r.stdin?.on('error', () => undefined);
    // Neither the reaper nor its pipe may keep this process alive.
    r.unref();
    (r.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    reaper = r;
  } catch {
    reaper = undefined; // without it only SIGKILL of this process can leave things behind
  }
}

/** Kills every tracked child (and its group) and removes every registered temp dir, synchronously. */
export function cleanUpNow(): void {
  for (const t of children) killGroup(t.child, t.group, 'SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * Another listener for the signal means someone else stops things in their own
 * order (and must end the process); else clean up and let the signal end us.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  cleanUpNow();
  for (const [s, handler] of signalHandlers) process.off(s, handler);
  process.kill(process.pid, signal);
}

const signalHandlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpNow);
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
  startReaper();
}

/** Tracks a started child until it exits; `group`: it leads its own process group. */
export function trackChild(child: ChildProcess, group: boolean): void {
  install();
  const tracked: Tracked = { child, group };
  children.add(tracked);
  if (group && child.pid !== undefined) tellReaper(`+g ${child.pid}`);
  const forget = (): void => {
    if (!children.delete(tracked)) return;
    if (group && child.pid !== undefined) tellReaper(`-g ${child.pid}`);
  };
  child.once('exit', forget);
  child.once('error', forget); // it may never have started
}

/**
 * Removes `dir` when this process ends, however it ends, unless the returned
 * function is called first (after removing it yourself).
 */
export function removeOnExit(dir: string): () => void {
  install();
  tempDirs.add(dir);
  tellReaper(`+d ${dir}`);
  return () => {
    if (tempDirs.delete(dir)) tellReaper(`-d ${dir}`);
  };
}

/** Kills a child's whole process group when it has one, else the child. */
export function killGroup(child: ChildProcess, group: boolean, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (group) process.kill(-pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

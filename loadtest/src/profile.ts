/**
 * Summarises CPU profiles written by `npm run loadtest -- … --profile DIR` (node --cpu-prof):
 * busy time, the functions with the most self time, and self time by where the code lives
 * (a package in node_modules, Node's internals, this repository's packages and services).
 *
 *   node --import tsx loadtest/src/profile.ts DIR/gateway-1-*.cpuprofile [--top 25] [--from S --to S] [--timeline]
 * `--timeline` prints the busy milliseconds of each second of the profile, to find a
 * measured step in it; `--from`/`--to` (seconds from the profile's start) keep that step only.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Seconds of the profile to keep, from its start. */
export interface ProfileWindow {
  from?: number;
  to?: number;
}

/** Visits every sample with its node, its duration (ms) and its time from the profile's start (s). */
function forEachSample(profile: CpuProfile, visit: (node: ProfileNode, ms: number, atSeconds: number) => void): void {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    const node = nodes.get(id);
    if (node) visit(node, delta / 1000, elapsed / 1e6);
  });
}

/** Busy milliseconds in each second of a profile (idle left out). */
export function busyTimeline(profile: CpuProfile): number[] {
  const seconds: number[] = [];
  forEachSample(profile, (node, ms, at) => {
    if (node.callFrame.functionName === '(idle)') return;
    const s = Math.floor(at);
    seconds[s] = (seconds[s] ?? 0) + ms;
  });
  return Array.from(seconds, (ms) => ms ?? 0);
}

/** Where a function's code lives: a package, Node itself, a workspace of ours, or V8's own buckets. */
export function placeOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(packages|services)\/([^/]+)\//.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

export interface ProfileSummary {
  /** Milliseconds sampled, idle excluded. */
  busyMs: number;
  functions: { name: string; place: string; selfMs: number; share: number }[];
  places: { place: string; selfMs: number; share: number }[];
}

/** Self time per function and per place over one or more profiles (idle time left out). */
export function summarise(profiles: CpuProfile[], window: ProfileWindow = {}): ProfileSummary {
  const byFunction = new Map<string, { name: string; place: string; selfMs: number }>();
  const byPlace = new Map<string, number>();
  let busyMs = 0;
  for (const profile of profiles) {
    forEachSample(profile, (node, ms, at) => {
      if (node.callFrame.functionName === '(idle)') return;
      if ((window.from !== undefined && at < window.from) || (window.to !== undefined && at >= window.to)) return;
      busyMs += ms;
      const place = placeOf(node.callFrame);
      const file = node.callFrame.url.split('/').slice(-1)[0] ?? '';
      const name = `${node.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${node.callFrame.lineNumber + 1}` : ''}`;
      const key = `${place}|${name}`;
      const entry = byFunction.get(key) ?? { name, place, selfMs: 0 };
      entry.selfMs += ms;
      byFunction.set(key, entry);
      byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
    });
  }
  const share = (ms: number): number => (busyMs > 0 ? ms / busyMs : 0);
  return {
    busyMs,
    functions: [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).map((f) => ({ ...f, share: share(f.selfMs) })),
    places: [...byPlace].map(([place, selfMs]) => ({ place, selfMs, share: share(selfMs) })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;

/** Markdown tables of a summary's top `top` functions and places. */
export function formatSummary(summary: ProfileSummary, top: number): string {
  const lines = [`busy: ${(summary.busyMs / 1000).toFixed(2)} s`, '', '| self time | function | where |', '| --- | --- | --- |'];
  for (const f of summary.functions.slice(0, top)) lines.push(`| ${pct(f.share)} | \`${f.name}\` | ${f.place} |`);
  lines.push('', '| self time | where |', '| --- | --- |');
  for (const p of summary.places.slice(0, top)) lines.push(`| ${pct(p.share)} | ${p.place} |`);
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '20' }, from: { type: 'string' }, to: { type: 'string' }, timeline: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new Error('usage: profile.ts FILE.cpuprofile… [--top N] [--from S --to S] [--timeline]');
  const profiles = await Promise.all(positionals.map(async (p) => JSON.parse(await readFile(p, 'utf8')) as CpuProfile));
  if (values.timeline) {
    for (const [i, profile] of profiles.entries()) process.stdout.write(`${positionals[i]}: ${busyTimeline(profile).map((ms, s) => `${s}s ${Math.round(ms)}`).join(', ')}\n`);
  } else {
    const window = { from: values.from === undefined ? undefined : Number(values.from), to: values.to === undefined ? undefined : Number(values.to) };
    process.stdout.write(formatSummary(summarise(profiles, window), Number(values.top)));
  }
}

/**
 * Summarises CPU profiles written by `npm run loadtest -- … --profile DIR` (node --cpu-prof):
 * busy time, the functions with the most self time, and self time by where the code lives
 * (a package in node_modules, Node's internals, this repository's packages and services).
 *
 *   node --import tsx loadtest/src/profile.ts DIR/gateway-1-*.cpuprofile [--top 25]
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
export function summarise(profiles: CpuProfile[]): ProfileSummary {
  const byFunction = new Map<string, { name: string; place: string; selfMs: number }>();
  const byPlace = new Map<string, number>();
  let busyMs = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id);
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      if (!node || node.callFrame.functionName === '(idle)') return;
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
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '20' } }, allowPositionals: true });
  if (positionals.length === 0) throw new Error('usage: profile.ts FILE.cpuprofile… [--top N]');
  const profiles = await Promise.all(positionals.map(async (p) => JSON.parse(await readFile(p, 'utf8')) as CpuProfile));
  process.stdout.write(formatSummary(summarise(profiles), Number(values.top)));
}

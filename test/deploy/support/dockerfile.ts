import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@chat/testkit';

export interface Instruction {
  /** Upper-cased keyword: FROM, COPY, RUN… */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  name: string | undefined;
  /** The base image with `${ARG}` defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  path: string;
  text: string;
  stages: Stage[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string, path = 'Dockerfile'): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (pending && line.trimStart().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.replace(/\s+/g, ' ').trim() });
  }

  const argDefaults: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=', 2);
      if (name && value !== undefined) argDefaults[name] = value;
      continue;
    }
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(' ').filter((w) => !w.startsWith('--'));
      const image = (words[0] ?? '').replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => argDefaults[n] ?? '');
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ image, name: asIndex >= 0 ? words[asIndex + 1] : undefined, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push(ins);
  }
  return { path, text, stages };
}

export async function readDockerfile(relativePath: string): Promise<Dockerfile> {
  return parseDockerfile(await readFile(join(repoRoot, relativePath), 'utf8'), relativePath);
}

export interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  destination: string;
}

/** A COPY's `--from`, sources and destination (flags such as --chown/--chmod dropped). */
export function parseCopy(args: string): CopyInstruction {
  const words = args.split(' ').filter(Boolean);
  let from: string | undefined;
  const rest: string[] = [];
  for (const word of words) {
    if (word.startsWith('--from=')) from = word.slice('--from='.length);
    else if (!word.startsWith('--')) rest.push(word);
  }
  const destination = rest.pop() ?? '';
  return { from, sources: rest, destination };
}

/** RUN's shell command without BuildKit flags such as `--mount=…`. */
export function runCommand(args: string): string {
  return args.replace(/^(--\S+\s+)+/, '').trim();
}

/** ENV in both forms (`K=V K2=V2` and legacy `K V`). */
export function parseEnvInstruction(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [key, ...value] = args.split(' ');
    return key ? { [key]: value.join(' ') } : {};
  }
  const env: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env[m[1]!] = m[3] ?? m[2]!;
  return env;
}

/** The exec-form CMD/ENTRYPOINT as an array; undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

export const lastInstruction = (stage: Stage, keyword: string): Instruction | undefined =>
  stage.instructions.filter((i) => i.keyword === keyword).at(-1);

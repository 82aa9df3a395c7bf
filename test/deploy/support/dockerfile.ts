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
  /** The base image (or an earlier stage's name), build arguments and `${ARG}` defaults substituted. */
  image: string;
  /** Arguments with variables substituted as Docker does (RUN's as its shell would); CMD, ENTRYPOINT and HEALTHCHECK as written. */
  instructions: Instruction[];
}

export interface Dockerfile {
  path: string;
  text: string;
  stages: Stage[];
}

/** Build arguments, as `docker build --build-arg NAME=value` passes them. */
export type BuildArgs = Record<string, string>;

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Docker's substitution: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
 * `${VAR+word}`; a variable not in scope is empty, or left for the shell with `keepUnknown`.
 */
export function substitute(text: string, vars: Record<string, string | undefined>, keepUnknown = false): string {
  return text.replace(VARIABLE, (match, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (keepUnknown && !(name in vars)) return match;
    const value = vars[name];
    switch (op) {
      case ':-':
        return value ? value : substitute(word ?? '', vars);
      case '-':
        return value ?? substitute(word ?? '', vars);
      case ':+':
        return value ? substitute(word ?? '', vars) : '';
      case '+':
        return value !== undefined ? substitute(word ?? '', vars) : '';
      default:
        return value ?? '';
    }
  });
}

const unquote = (value: string): string => value.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');

/** `NAME` or `NAME=default` of an ARG instruction. */
function parseArg(args: string): { name: string; value: string | undefined } {
  const at = args.indexOf('=');
  return at < 0 ? { name: args.trim(), value: undefined } : { name: args.slice(0, at).trim(), value: unquote(args.slice(at + 1).trim()) };
}

/** Instructions whose arguments Docker leaves alone (exec form, or a shell that runs in the container). */
const UNSUBSTITUTED = new Set(['CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'SHELL']);

function expand(ins: Instruction, vars: Record<string, string | undefined>): Instruction {
  if (UNSUBSTITUTED.has(ins.keyword)) return ins;
  // RUN's shell sees the ARGs and ENVs in scope as variables, and its own variables besides.
  return { keyword: ins.keyword, args: substitute(ins.args, vars, ins.keyword === 'RUN') };
}

/**
 * Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations
 * joined) and substitutes variables as a build with `buildArgs` would. Scopes follow
 * Docker: an ARG before the first FROM is seen by FROM lines only; inside a stage an ARG
 * must be declared (`ARG NAME` takes the global one's value) before it is used; ENV is
 * inherited from a stage built on an earlier one, ARG is not.
 */
export function parseDockerfile(text: string, path = 'Dockerfile', buildArgs: BuildArgs = {}): Dockerfile {
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

  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  /** ENV each stage ends with, by stage name, for the stages built on it. */
  const stageEnv = new Map<string, Record<string, string>>();
  let env: Record<string, string> = {};
  let args: Record<string, string | undefined> = {};
  const close = () => {
    const name = stages.at(-1)?.name;
    if (name) stageEnv.set(name, env);
  };
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const { name, value } = parseArg(ins.args);
      globalArgs[name] = buildArgs[name] ?? (value === undefined ? undefined : substitute(value, globalArgs));
      continue;
    }
    if (ins.keyword === 'FROM') {
      close();
      const words = ins.args.split(' ').filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', globalArgs);
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      env = { ...(stageEnv.get(image) ?? {}) };
      args = {};
      stages.push({ image, name: asIndex >= 0 ? words[asIndex + 1] : undefined, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    const vars = { ...args, ...env };
    if (ins.keyword === 'ARG') {
      const { name, value } = parseArg(ins.args);
      args[name] = buildArgs[name] ?? (value === undefined ? globalArgs[name] : substitute(value, vars));
      stage.instructions.push(ins);
      continue;
    }
    const expanded = expand(ins, vars);
    if (ins.keyword === 'ENV') Object.assign(env, parseEnvInstruction(expanded.args));
    stage.instructions.push(expanded);
  }
  close();
  return { path, text, stages };
}

export async function readDockerfile(relativePath: string, buildArgs: BuildArgs = {}): Promise<Dockerfile> {
  return parseDockerfile(await readFile(join(repoRoot, relativePath), 'utf8'), relativePath, buildArgs);
}

/**
 * The stages an image is made of, base first: `stage` (the last one, the image the build
 * produces, by default), the stage its FROM names, and so on down to the one on a real image.
 */
export function imageStages(dockerfile: Dockerfile, stage: Stage | undefined = dockerfile.stages.at(-1)): Stage[] {
  const chain: Stage[] = [];
  let current = stage;
  while (current) {
    if (chain.includes(current)) throw new Error(`${dockerfile.path}: stages build on each other in a circle`);
    chain.unshift(current);
    const image = current.image.toLowerCase();
    current = dockerfile.stages.slice(0, dockerfile.stages.indexOf(current)).findLast((s) => s.name?.toLowerCase() === image);
  }
  if (chain.length === 0) throw new Error(`${dockerfile.path}: no stage`);
  return chain;
}

/** The built image as one stage: every instruction of its stages in order, on the real base image. */
export function finalImage(dockerfile: Dockerfile): Stage {
  const chain = imageStages(dockerfile);
  return { name: chain.at(-1)!.name, image: chain[0]!.image, instructions: chain.flatMap((s) => s.instructions) };
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

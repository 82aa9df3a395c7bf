import { execFile } from 'node:child_process';
import { cp, mkdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@chat/testkit';
import { execForm, imageStages, parseCopy, parseEnvInstruction, runCommand, type Dockerfile } from './dockerfile.js';

const run = promisify(execFile);

/** The image a Dockerfile builds (its last stage and the stages that one is built on), laid out in a host directory standing in for the container's `/`. */
export interface RuntimeImage {
  /** Host directory that stands for the container's root. */
  root: string;
  /** Host path of the final WORKDIR. */
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: string[];
}

export interface BuildRuntimeOptions {
  /** Host directory that stands for the container's root; must not lie inside the repo. */
  root: string;
  /**
   * Where the build stages' `/app` is on the host: they copy the repo layout to /app and
   * compile there, which is what the repo's own `tsc -b` output is.
   */
  buildStageApp?: string;
  /** Extra arguments for `npm ci` (e.g. `--prefer-offline`); they change speed, not the result. */
  npmArgs?: string[];
}

/**
 * The parent's environment without npm's and Node's settings: under `npm test`, npm
 * exports npm_config_* (its prefix among them), which must not steer this install.
 */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(key) || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return env;
}

const isDirectory = async (path: string): Promise<boolean> => (await stat(path)).isDirectory();

/**
 * Executes on the host the stages the image is made of (the last one and those it is built
 * on; parse the Dockerfile with the image's build arguments): WORKDIR, ENV, USER, CMD,
 * COPY from the context (the repo) or from a build stage (one built on none of the image's),
 * and RUN `npm ci …`. Any other RUN fails, so the runtime stages stay simple enough to be
 * proven this way.
 */
export async function buildRuntimeStage(dockerfile: Dockerfile, options: BuildRuntimeOptions): Promise<RuntimeImage> {
  const chain = imageStages(dockerfile);
  const buildStages = new Set(
    dockerfile.stages.filter((s) => s.name !== undefined && !imageStages(dockerfile, s).some((base) => chain.includes(base))).map((s) => s.name),
  );
  const buildStageApp = options.buildStageApp ?? repoRoot;
  const host = (containerPath: string): string => join(options.root, containerPath);
  let workdir = '/';
  const env: Record<string, string> = {};
  let user: string | undefined;
  let cmd: string[] = [];

  for (const { keyword, args } of chain.flatMap((s) => s.instructions)) {
    switch (keyword) {
      case 'WORKDIR':
        workdir = posix.resolve(workdir, args);
        await mkdir(host(workdir), { recursive: true });
        break;
      case 'ENV':
        Object.assign(env, parseEnvInstruction(args));
        break;
      case 'USER':
        user = args;
        break;
      case 'CMD':
        cmd = execForm(args) ?? ['sh', '-c', args];
        break;
      case 'COPY': {
        const copy = parseCopy(args);
        const destination = posix.resolve(workdir, copy.destination);
        const intoDirectory = copy.destination.endsWith('/') || copy.sources.length > 1;
        for (const source of copy.sources) {
          let from: string;
          if (copy.from === undefined) {
            from = join(repoRoot, source);
          } else if (buildStages.has(copy.from) && source.startsWith('/app/')) {
            from = join(buildStageApp, source.slice('/app/'.length));
          } else {
            throw new Error(`${dockerfile.path}: cannot follow COPY --from=${copy.from} ${source}`);
          }
          const target = intoDirectory && !(await isDirectory(from)) ? posix.join(destination, posix.basename(source)) : destination;
          await cp(from, host(target), { recursive: true });
        }
        break;
      }
      case 'RUN': {
        const command = runCommand(args);
        const words = command.split(' ').filter(Boolean);
        if (words[0] !== 'npm' || words[1] !== 'ci' || command.includes('&&') || command.includes(';')) {
          throw new Error(`${dockerfile.path}: the runtime stage may only RUN npm ci, found: ${command}`);
        }
        await run('npm', [...words.slice(1), ...(options.npmArgs ?? [])], {
          cwd: host(workdir),
          env: { ...cleanEnv(), ...env, npm_config_loglevel: 'error' },
          maxBuffer: 16 * 1024 * 1024,
        });
        break;
      }
      case 'EXPOSE':
      case 'ARG':
      case 'LABEL':
      case 'STOPSIGNAL':
      case 'HEALTHCHECK':
        break;
      default:
        throw new Error(`${dockerfile.path}: unexpected ${keyword} in the runtime stage`);
    }
  }
  return { root: options.root, workdir: host(workdir), env, user, cmd };
}

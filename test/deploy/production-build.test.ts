/**
 * Builds each service's image the way deploy/service/Dockerfile's runtime stages do —
 * package manifests, `npm ci --omit=dev` for that workspace alone in a clean directory
 * outside the repo, the compiled dist — and starts its CMD against a real Redis and
 * PostgreSQL with the compose environment. A dev-only or undeclared import, a missing file or a config
 * the compose file gets wrong fails here rather than in a container.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, repoRoot, startProcess, startRedis, waitFor, type ManagedProcess, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { loadCompose, serviceEnv } from './support/compose.js';
import { readDockerfile } from './support/dockerfile.js';
import { buildRuntimeStage, cleanEnv, type RuntimeImage } from './support/runtime-image.js';

const run = promisify(execFile);
const services = ['api', 'gateway', 'bot-worker'] as const;
type Service = (typeof services)[number];
const packages = ['packages/contract', 'packages/store', 'packages/runtime'];

let root: string;
let redis: RedisServer;
const images = {} as Record<Service, RuntimeImage>;
const running: ManagedProcess[] = [];

/** The container's environment: the image's ENV, then compose's, then what points it at the test servers. */
async function containerEnv(image: RuntimeImage, service: string, overrides: Record<string, string>): Promise<Record<string, string>> {
  const compose = await loadCompose();
  const { PATH = '/usr/bin:/bin', HOME = '/tmp' } = cleanEnv();
  return { PATH, HOME, ...image.env, ...serviceEnv(compose.services[service]!), LOG_LEVEL: 'warn', ...overrides };
}

function startCmd(image: RuntimeImage, label: string, env: Record<string, string>): ManagedProcess {
  const [command, ...args] = image.cmd;
  if (command !== 'node') throw new Error(`${label}: expected a node CMD, got ${image.cmd.join(' ')}`);
  const proc = startProcess(label, process.execPath, args, { cwd: image.workdir, env });
  running.push(proc);
  return proc;
}

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => join(e.parentPath, e.name));
}

/** Module specifiers of static imports, re-exports and dynamic imports in compiled ESM. */
function importedSpecifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

async function emptyDatabase(): Promise<string> {
  const port = inject('pgPort');
  const name = `compose_${Math.random().toString(36).slice(2, 10)}`;
  await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', `create database ${name}`]);
  return `postgres://postgres@127.0.0.1:${port}/${name}`;
}

beforeAll(async () => {
  // The build stages: `npx tsc -b services/<name>` (and the migrate entry) over the repo layout.
  await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'services/api', 'services/gateway', 'services/bot-worker', 'deploy/migrate'], {
    cwd: repoRoot,
  });
  root = await mkdtemp(join(tmpdir(), 'chat-images-'));
  const built = await Promise.all(
    services.map(async (name) => {
      const dockerfile = await readDockerfile('deploy/service/Dockerfile', { SERVICE: name });
      return buildRuntimeStage(dockerfile, { root: join(root, name), npmArgs: ['--prefer-offline'] });
    }),
  );
  services.forEach((name, i) => (images[name] = built[i]!));
  redis = await startRedis();
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop(5_000)));
  await redis?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the production images, built as their Dockerfiles build them', () => {
  it.each(services)('%s holds production dependencies and compiled output only', (name) => {
    const app = join(images[name].root, 'app');
    expect(images[name].workdir).toBe(join(app, 'services', name));
    expect(existsSync(join(images[name].workdir, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(images[name].workdir, 'dist/migrate.js')), 'dist/migrate.js in the API image alone').toBe(name === 'api');
    for (const dir of packages) expect(existsSync(join(app, dir, 'dist/index.js')), `${dir}/dist`).toBe(true);
    for (const devOnly of ['typescript', 'tsx', 'vitest']) expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
    // npm links workspace devDependencies (@chat/testkit) even with --omit=dev; their code is not copied.
    for (const dir of [`services/${name}/src`, ...packages.map((p) => `${p}/src`), 'packages/testkit/src', 'packages/testkit/dist']) {
      expect(existsSync(join(app, dir)), dir).toBe(false);
    }
    expect(images[name].user).toBe('node');
  });

  // npm's --omit=dev keeps a workspace's devDependency when another workspace depends on it for
  // production, so the install alone cannot prove an import is declared: check the imports too.
  it.each([...packages, ...services.map((s) => `services/${s}`)])('%s/dist imports only Node built-ins and its production dependencies', async (dir) => {
    const pkg = JSON.parse(await readFile(join(repoRoot, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const allowed = new Set(Object.keys(pkg.dependencies ?? {}));
    const undeclared = new Set<string>();
    for (const file of await jsFiles(join(repoRoot, dir, 'dist'))) {
      for (const specifier of importedSpecifiers(await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!allowed.has(name)) undeclared.add(`${name} (${file.slice(repoRoot.length + 1)})`);
      }
    }
    expect([...undeclared]).toEqual([]);
  });

  it('the migrate one-shot creates the schema in an empty database, and a second run changes nothing', async () => {
    const databaseUrl = await emptyDatabase();
    const api = images.api;
    const migrateImage: RuntimeImage = { ...api, cmd: ['node', 'dist/migrate.js'] };
    const env = await containerEnv(api, 'migrate', { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' });
    for (const expected of ['migrations applied', 'schema is up to date']) {
      const proc = startCmd(migrateImage, 'migrate', env);
      expect(await proc.exited, proc.output()).toBe(0);
      expect(proc.output()).toContain(expected);
    }
    const { stdout } = await run('psql', [
      databaseUrl, '-At', '-c',
      "select count(*) from information_schema.tables where table_name in ('users', 'rooms', 'memberships', 'messages')",
    ]);
    expect(stdout.trim()).toBe('4');
  });

  it.each(services)('%s starts with node dist/main.js and answers /health and /health/ready', async (name) => {
    const port = await freePort();
    const env = await containerEnv(images[name], name, {
      REDIS_URL: redis.url,
      DATABASE_URL: await useTestDatabase(),
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    const proc = startCmd(images[name], name, env);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${name} /health`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
      return (await fetch(`${url}/health`).catch(() => undefined))?.ok ?? false;
    }, 30_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc.output()}`);
    });
    await waitFor(`${name} /health/ready`, async () => (await fetch(`${url}/health/ready`)).status === 200, 15_000, 100);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);

    if (name === 'gateway') {
      // nginx's discovery reads the replica id from this /health, and whether it takes new sessions from /health/ready.
      const { replicaId } = (await (await fetch(`${url}/health`)).json()) as { replicaId?: string };
      expect(replicaId).toMatch(/^[A-Za-z0-9_-]+$/);
      const { stdout } = await run('sh', [join(repoRoot, 'deploy/nginx/docker-entrypoint.sh'), 'discover'], {
        env: { PATH: process.env.PATH, GATEWAY_HOSTS: '127.0.0.1', GATEWAY_PORT: String(port) },
      });
      expect(stdout).toBe(`${replicaId} 127.0.0.1:${port} ready\n`);
    }

    await proc.stop(10_000);
    expect(proc.child.exitCode ?? proc.child.signalCode, `${name} stops cleanly on SIGTERM`).toBe(0);
  });
});

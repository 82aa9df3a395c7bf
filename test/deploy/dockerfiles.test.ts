import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import { execForm, finalImage, imageStages, lastInstruction, parseCopy, readDockerfile, runCommand, type Stage } from './support/dockerfile.js';
import { workspaceDirs } from './support/workspaces.js';

/** The one Dockerfile of the Node services, and the port each one's image exposes. */
const serviceDockerfile = 'deploy/service/Dockerfile';
const ports = { api: 3000, gateway: 3101, 'bot-worker': 3201 } as const;
const services = Object.keys(ports) as (keyof typeof ports)[];
const packages = ['packages/contract', 'packages/store', 'packages/runtime'];

const copies = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => parseCopy(i.args));
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => runCommand(i.args));
/** Context files a stage copies to the same path under its WORKDIR (where npm ci expects them). */
const copiedFiles = (stage: Stage): string[] =>
  copies(stage)
    .filter((c) => c.from === undefined)
    .flatMap((c) => {
      const dest = c.destination.replace(/^\.\/?/, '');
      return c.sources.filter((s) => (dest === '' || dest.endsWith('/') ? posix.join(dest, posix.basename(s)) : dest) === s);
    });

describe.each(services)(`${serviceDockerfile} with SERVICE=%s`, (name) => {
  const load = () => readDockerfile(serviceDockerfile, { SERVICE: name });

  it('builds in one Node 22 stage and runs in another', async () => {
    const dockerfile = await load();
    const { stages } = dockerfile;
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // Every stage starts from Node 22 or from an earlier stage.
    const earlier = new Set<string>();
    for (const stage of stages) {
      if (!earlier.has(stage.image)) expect(stage.image, `stage ${stage.name ?? '(last)'}`).toMatch(/^node:22(?:[.-]|$)/);
      if (stage.name) earlier.add(stage.name);
    }
    expect(finalImage(dockerfile).image).toMatch(/^node:22(?:[.-]|$)/);
    const build = stages.find((s) => s.name === 'build');
    expect(build, 'a stage named build').toBeDefined();
    expect(lastInstruction(build!, 'WORKDIR')?.args).toBe('/app');
    expect(runs(build!).some((r) => r.includes(`tsc -b services/${name}`))).toBe(true);
    expect(imageStages(dockerfile), 'the image is not built on the build stage').not.toContain(build);
  });

  it('installs production dependencies only in the runtime stage, for this workspace alone', async () => {
    const runtime = finalImage(await load());
    const install = runs(runtime);
    expect(install).toHaveLength(1);
    expect(install[0]).toMatch(/^npm ci /);
    expect(install[0]).toContain('--omit=dev');
    expect(install[0]).toContain(`--workspace services/${name}`);
    expect(install[0]).toContain('--include-workspace-root=false');
    expect(lastInstruction(runtime, 'ENV')?.args).toContain('NODE_ENV=production');
  });

  it('installs in the build stage only the packages and this service, with dev dependencies', async () => {
    const build = (await load()).stages.find((s) => s.name === 'build')!;
    const install = runs(build).filter((r) => r.startsWith('npm ci'));
    expect(install).toHaveLength(1);
    expect(install[0]).not.toContain('--omit=dev');
    const workspaces = [...install[0]!.matchAll(/--workspace (\S+)/g)].map((m) => m[1]);
    expect(workspaces.sort()).toEqual([...packages, `services/${name}`].sort());
  });

  it("copies every workspace's package.json and the lockfile before each npm ci", async () => {
    const { stages } = await load();
    const expected = ['package.json', 'package-lock.json', ...(await workspaceDirs()).map((d) => `${d}/package.json`)];
    const installing = stages.filter((s) => runs(s).some((r) => r.startsWith('npm ci')));
    expect(installing.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const stage of installing) {
      expect(copiedFiles(stage), `stage ${stage.name ?? '(last)'}`).toEqual(expect.arrayContaining(expected));
    }
  });

  it('ships compiled output and manifests only: no sources, no compiler, no .env', async () => {
    const dockerfile = await load();
    const runtime = finalImage(dockerfile);
    for (const copy of copies(runtime)) {
      for (const source of copy.sources) {
        if (copy.from === undefined) expect(source, 'from the context: manifests only').toMatch(/(^|\/)(package\.json|package-lock\.json|\.npmrc)$/);
        else expect(source, 'from the build stage: dist output only').toMatch(/\/dist(\/[\w.-]+\.js)?$/);
      }
    }
    const everyInstruction = dockerfile.stages.flatMap((st) => st.instructions.map((i) => `${i.keyword} ${i.args}`)).join('\n');
    expect(everyInstruction).not.toMatch(/\.env\b/);
    expect(everyInstruction).not.toMatch(/^COPY (\. |\S+ \.\/? )/m);
    for (const dir of [...packages, `services/${name}`]) {
      expect(copies(runtime).some((c) => c.sources.includes(`${dir}/dist`) || c.sources.includes(`/app/${dir}/dist`)), `${dir}/dist`).toBe(true);
    }
  });

  it('runs node dist/main.js as a non-root user from the service directory', async () => {
    const runtime = finalImage(await load());
    const user = lastInstruction(runtime, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(lastInstruction(runtime, 'WORKDIR')?.args).toBe(`/app/services/${name}`);
    expect(execForm(lastInstruction(runtime, 'CMD')?.args ?? '')).toEqual(['node', 'dist/main.js']);
    // The runtime must resolve packages through their "default" export condition (dist).
    expect(runtime.instructions.map((i) => i.args).join('\n')).not.toContain('--conditions');
  });

  it(`exposes the service's port alone (${ports[name]})`, async () => {
    const exposed = finalImage(await load()).instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
    expect(exposed).toEqual([String(ports[name])]);
  });

  it(name === 'api' ? 'carries the migrations entry as dist/migrate.js' : 'carries no migrations entry (the API image runs them)', async () => {
    const dockerfile = await load();
    const migrateCopies = copies(finalImage(dockerfile)).filter((c) => c.sources.some((s) => s.endsWith('/migrate.js')));
    if (name !== 'api') {
      expect(migrateCopies).toEqual([]);
      return;
    }
    expect(migrateCopies).toEqual([{ from: 'build-migrate', sources: ['/app/deploy/migrate/dist/migrate.js'], destination: '/app/services/api/dist/migrate.js' }]);
    const compiling = dockerfile.stages.find((s) => s.name === 'build-migrate')!;
    expect(imageStages(dockerfile, compiling).map((s) => s.name), 'compiled on the build stage').toContain('build');
    expect(runs(compiling).some((r) => r.includes('tsc -b deploy/migrate'))).toBe(true);
  });
});

describe(serviceDockerfile, () => {
  it('builds one image per service: without SERVICE the build stops with a message naming the choices', async () => {
    const dockerfile = await readDockerfile(serviceDockerfile);
    const chain = imageStages(dockerfile);
    expect(chain.map((s) => s.name)).toEqual(['no-service', undefined]);
    const [stop] = runs(chain[0]!);
    expect(stop).toMatch(/SERVICE=api, gateway or bot-worker.*exit 1$/);
    expect(runs(finalImage(await readDockerfile(serviceDockerfile, { SERVICE: 'gateway' })))).not.toContainEqual(stop);
  });

  it('replaces the per-service Dockerfiles', () => {
    for (const name of services) expect(existsSync(join(repoRoot, 'services', name, 'Dockerfile')), `services/${name}/Dockerfile`).toBe(false);
  });
});

describe('deploy/nginx/Dockerfile', () => {
  it('builds the web client in a Node stage and serves it from an unprivileged nginx with the shared template', async () => {
    const dockerfile = await readDockerfile('deploy/nginx/Dockerfile');
    const [web, runtime] = [dockerfile.stages[0]!, dockerfile.stages.at(-1)!];
    expect(web.image).toMatch(/^node:22/);
    expect(runs(web).some((r) => r.includes('npm run build --workspace web'))).toBe(true);
    expect(runtime.image).toMatch(/^nginx:\d/);
    const runtimeCopies = copies(runtime);
    expect(runtimeCopies).toContainEqual({ from: web.name, sources: ['/app/web/dist'], destination: '/usr/share/nginx/html' });
    expect(runtimeCopies.flatMap((c) => c.sources)).toEqual(expect.arrayContaining(['deploy/nginx/nginx.conf.template', 'deploy/nginx/docker-entrypoint.sh']));
    expect(lastInstruction(runtime, 'USER')?.args).toBe('nginx');
    expect(execForm(lastInstruction(runtime, 'ENTRYPOINT')?.args ?? '')).toEqual(['/usr/local/bin/chat-nginx-entrypoint']);
    expect(lastInstruction(runtime, 'EXPOSE')?.args).toBe('8080');
  });
});

describe('.dockerignore', () => {
  it('keeps secrets, installed modules, build output, local data and git history out of the build context', async () => {
    const lines = (await readFile(join(repoRoot, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim());
    for (const pattern of ['.env', '**/.env', '**/node_modules', '**/dist', '.data', '.git']) expect(lines).toContain(pattern);
  });
});

import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@chat/testkit';
import { execForm, lastInstruction, parseCopy, readDockerfile, runCommand, type Stage } from './support/dockerfile.js';
import { workspaceDirs } from './support/workspaces.js';

const services = ['api', 'gateway', 'bot-worker'] as const;

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

describe.each(services)('services/%s/Dockerfile', (name) => {
  const load = () => readDockerfile(`services/${name}/Dockerfile`);

  it('builds in one Node 22 stage and runs in another', async () => {
    const { stages } = await load();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:22(?:[.-]|$)/);
    const build = stages.find((s) => s.name === 'build');
    expect(build, 'a stage named build').toBeDefined();
    expect(lastInstruction(build!, 'WORKDIR')?.args).toBe('/app');
    expect(runs(build!).some((r) => r.includes(`tsc -b services/${name}`))).toBe(true);
  });

  it('installs production dependencies only in the runtime stage, for this workspace alone', async () => {
    const runtime = (await load()).stages.at(-1)!;
    const install = runs(runtime);
    expect(install).toHaveLength(1);
    expect(install[0]).toMatch(/^npm ci /);
    expect(install[0]).toContain('--omit=dev');
    expect(install[0]).toContain(`--workspace services/${name}`);
    expect(install[0]).toContain('--include-workspace-root=false');
    expect(lastInstruction(runtime, 'ENV')?.args).toContain('NODE_ENV=production');
  });

  it("copies every workspace's package.json and the lockfile before each npm ci", async () => {
    const { stages } = await load();
    const expected = ['package.json', 'package-lock.json', ...(await workspaceDirs()).map((d) => `${d}/package.json`)];
    for (const stage of stages.filter((s) => runs(s).some((r) => r.startsWith('npm ci')))) {
      expect(copiedFiles(stage), `stage ${stage.name ?? '(last)'}`).toEqual(expect.arrayContaining(expected));
    }
  });

  it('ships compiled output and manifests only: no sources, no compiler, no .env', async () => {
    const dockerfile = await load();
    const runtime = dockerfile.stages.at(-1)!;
    for (const copy of copies(runtime)) {
      for (const source of copy.sources) {
        if (copy.from === undefined) expect(source, 'from the context: manifests only').toMatch(/(^|\/)(package\.json|package-lock\.json|\.npmrc)$/);
        else expect(source, 'from the build stage: dist output only').toMatch(/\/dist(\/[\w.-]+\.js)?$/);
      }
    }
    const everyInstruction = dockerfile.stages.flatMap((st) => st.instructions.map((i) => `${i.keyword} ${i.args}`)).join('\n');
    expect(everyInstruction).not.toMatch(/\.env\b/);
    expect(everyInstruction).not.toMatch(/^COPY (\. |\S+ \.\/? )/m);
    expect(copies(runtime).some((c) => c.sources.includes('packages/common/dist') || c.sources.includes('/app/packages/common/dist'))).toBe(true);
  });

  it('runs node dist/main.js as a non-root user from the service directory', async () => {
    const runtime = (await load()).stages.at(-1)!;
    const user = lastInstruction(runtime, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(lastInstruction(runtime, 'WORKDIR')?.args).toBe(`/app/services/${name}`);
    expect(execForm(lastInstruction(runtime, 'CMD')?.args ?? '')).toEqual(['node', 'dist/main.js']);
    // The runtime must resolve packages through their "default" export condition (dist).
    expect(runtime.instructions.map((i) => i.args).join('\n')).not.toContain('--conditions');
  });
});

describe('services/api/Dockerfile', () => {
  it('carries the migrations entry as dist/migrate.js', async () => {
    const dockerfile = await readDockerfile('services/api/Dockerfile');
    const build = dockerfile.stages.find((s) => s.name === 'build')!;
    expect(runs(build).some((r) => r.includes('deploy/migrate'))).toBe(true);
    expect(copies(dockerfile.stages.at(-1)!)).toContainEqual({
      from: 'build',
      sources: ['/app/deploy/migrate/dist/migrate.js'],
      destination: 'services/api/dist/migrate.js',
    });
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

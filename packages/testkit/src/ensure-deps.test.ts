import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './nginx.js';

const run = promisify(execFile);

/**
 * scripts/ensure-deps.sh run hermetically: a copy of it in a temp checkout whose
 * node_modules is up to date, on a PATH of stand-ins where `id` says "not root"
 * (so it prints the apt-get command instead of running it).
 */
let root: string;
let bin: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chat-ensure-deps-'));
  bin = join(root, 'bin');
  await mkdir(join(root, 'scripts'), { recursive: true });
  await mkdir(join(root, 'node_modules'), { recursive: true });
  await mkdir(bin);
  await copyFile(join(repoRoot, 'scripts/ensure-deps.sh'), join(root, 'scripts/ensure-deps.sh'));
  await writeFile(join(root, 'package-lock.json'), '{}');
  await writeFile(join(root, 'node_modules/.package-lock.json'), '{}');
  const past = new Date(Date.now() - 60_000);
  await utimes(join(root, 'package-lock.json'), past, past);
  for (const tool of ['dirname', 'ls']) await symlink(`/usr/bin/${tool}`, join(bin, tool));
  await stub('id', 'echo 1000');
  for (const tool of ['redis-server', 'nginx', 'psql', 'postgres']) await stub(tool, 'exit 0');
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function stub(name: string, body: string): Promise<void> {
  await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
  await chmod(join(bin, name), 0o755);
}

async function ensureDeps(args: string[], env: Record<string, string> = {}) {
  return run('/bin/bash', [join(root, 'scripts/ensure-deps.sh'), ...args], { env: { PATH: bin, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('scripts/ensure-deps.sh', () => {
  it('does not ask for a browser without --browser (npm run up, npm run loadtest)', async () => {
    expect(await ensureDeps([])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('asks for chromium and a colour emoji font with --browser (npm test) and names the command to install them', async () => {
    const result = await ensureDeps(['--browser'], { CHAT_EMOJI_FONT: join(root, 'no-such-font.ttf') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing chromium fonts-noto-color-emoji');
    expect(result.stderr).toContain('apt-get install -y chromium fonts-noto-color-emoji');
  });

  it('is satisfied by an installed chromium and emoji font, and CHAT_SKIP_BROWSER=1 drops the browser', async () => {
    const font = { CHAT_EMOJI_FONT: join(root, 'package-lock.json') }; // any file stands in for the font
    expect((await ensureDeps(['--browser'], { CHAT_SKIP_BROWSER: '1' })).code).toBe(0);
    await stub('chromium', 'exit 0');
    try {
      expect((await ensureDeps(['--browser'], font)).code).toBe(0);
    } finally {
      await rm(join(bin, 'chromium'));
    }
  });

  it("asks for Python's socketio client and its WebSocket library with --test-clients (npm test), and is satisfied once python3 imports them", async () => {
    const python = { CHAT_PYTHON: join(bin, 'python3') };
    const result = await ensureDeps(['--test-clients'], python);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing python3-socketio python3-websocket');
    // A python3 that imports both modules (the stand-in succeeds at every -c).
    await stub('python3', 'exit 0');
    try {
      expect((await ensureDeps(['--test-clients'], python)).code).toBe(0);
    } finally {
      await rm(join(bin, 'python3'));
    }
  });

  it('asks for Prometheus (which ships promtool) with --prometheus (npm test) or PROMETHEUS=1 (npm run up), and is satisfied once both are on PATH', async () => {
    for (const result of [await ensureDeps(['--prometheus']), await ensureDeps([], { PROMETHEUS: '1' })]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('missing prometheus');
      expect(result.stderr).toContain('apt-get install -y prometheus');
    }
    await stub('prometheus', 'exit 0');
    try {
      // prometheus alone is not enough: the rule tests run promtool.
      expect((await ensureDeps(['--prometheus'])).stderr).toContain('missing prometheus');
      await stub('promtool', 'exit 0');
      expect((await ensureDeps(['--prometheus'])).code).toBe(0);
      expect((await ensureDeps([], { PROMETHEUS: '1' })).code).toBe(0);
    } finally {
      await rm(join(bin, 'prometheus'), { force: true });
      await rm(join(bin, 'promtool'), { force: true });
    }
  });

  it('refuses an unknown argument', async () => {
    const result = await ensureDeps(['--browsers']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown argument --browsers');
  });

  it('is what the root package.json runs, with --browser, --test-clients and --prometheus for npm test only', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toMatch(/^bash scripts\/ensure-deps\.sh --browser --test-clients --prometheus && /);
    for (const script of ['up', 'loadtest']) expect(pkg.scripts[script]).toMatch(/^bash scripts\/ensure-deps\.sh && /);
  });
});

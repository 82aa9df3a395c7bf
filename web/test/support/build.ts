import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const webDir = join(repoRoot, 'web');
const sources = [join(webDir, 'src'), join(webDir, 'index.html'), join(webDir, 'vite.config.ts'), join(repoRoot, 'packages/contract/src'), join(repoRoot, 'packages/client/src')];

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { withFileTypes: true });
  const times = await Promise.all(entries.map((e) => newestMtime(join(path, e.name))));
  return Math.max(info.mtimeMs, ...times);
}

/**
 * Builds web/dist when it is missing or older than its sources, so a standalone
 * `npx vitest run web` works (`npm test` has built it already). nginx serves
 * web/dist only when it has an index.html, so this runs before the cluster starts.
 */
export async function ensureWebBuilt(): Promise<void> {
  const index = join(webDir, 'dist/index.html');
  if (existsSync(index)) {
    const [built, ...inputs] = await Promise.all([stat(index).then((s) => s.mtimeMs), ...sources.map(newestMtime)]);
    if (built >= Math.max(...inputs)) return;
  }
  await run('npm', ['run', 'build', '--workspace', 'web'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
}

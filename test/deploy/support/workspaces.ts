import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@chat/testkit';

/** Every workspace directory of the root package.json (its `dir/*` globs expanded), repo-relative. */
export async function workspaceDirs(): Promise<string[]> {
  const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const dirs: string[] = [];
  for (const pattern of root.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      const entries = await readdir(join(repoRoot, parent), { withFileTypes: true });
      for (const e of entries) {
        if (e.isDirectory() && existsSync(join(repoRoot, parent, e.name, 'package.json'))) dirs.push(`${parent}/${e.name}`);
      }
    } else if (existsSync(join(repoRoot, pattern, 'package.json'))) {
      dirs.push(pattern);
    }
  }
  return dirs.sort();
}

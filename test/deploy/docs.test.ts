import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceVariableNames } from '@chat/runtime';
import { repoRoot } from '@chat/testkit';
import { readComposeText } from './support/compose.js';

const read = (path: string) => readFile(join(repoRoot, path), 'utf8');

describe('docs/deployment.md', () => {
  it('documents every variable the services, the nginx entrypoint and the compose file read', async () => {
    const docs = await read('docs/deployment.md');
    const entrypoint = await read('deploy/nginx/docker-entrypoint.sh');
    const names = new Set([
      ...serviceVariableNames,
      ...[...entrypoint.matchAll(/^: "\$\{([A-Z_]+):=/gm)].map((m) => m[1]!).filter((n) => !['NGINX_TEMPLATE', 'NGINX_RUN_DIR', 'NGINX_BIN', 'WEB_ROOT', 'MIME_TYPES', 'PID_FILE', 'TEMP_DIR'].includes(n)),
      ...[...(await readComposeText()).matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!),
    ]);
    expect(names.size).toBeGreaterThan(30);
    const missing = [...names].filter((name) => !docs.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});

describe('the Dockerfiles the docs name', () => {
  it.each(['docs/deployment.md', 'README.md', 'docker-compose.yml'])('%s names only Dockerfiles that exist, and the one of the services', async (path) => {
    const text = await read(path);
    const named = [...new Set([...text.matchAll(/[\w./-]*Dockerfile\b/g)].map((m) => m[0]).filter((p) => p.includes('/')))];
    expect(named.filter((p) => !existsSync(join(repoRoot, p)))).toEqual([]);
    expect(named).toContain('deploy/service/Dockerfile');
  });
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@chat/testkit';

export const composePath = join(repoRoot, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string | number | boolean | null> | string[] } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  expose?: (string | number)[];
  container_name?: string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string; required?: boolean }> | string[];
  profiles?: string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  restart?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Values for the variables compose requires (`${VAR:?…}`) in the tests. */
export const testVariables: Record<string, string> = {
  JWT_SECRET: 'compose-test-jwt-secret-0123456789',
  POSTGRES_PASSWORD: 'composetestpassword0123',
};

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$`. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (match, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const name = braced ?? bare ?? '';
    const value = vars[name];
    switch (op) {
      case ':-':
        return value ? value : (arg ?? '');
      case '-':
        return value ?? arg ?? '';
      case ':?':
        if (!value) throw new Error(`required variable ${name} is missing a value: ${arg ?? ''}`);
        return value;
      case '?':
        if (value === undefined) throw new Error(`required variable ${name} is missing a value: ${arg ?? ''}`);
        return value;
      default:
        return value ?? '';
    }
  });
}

function interpolateDeep(node: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((item) => interpolateDeep(item, vars));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateDeep(v, vars)]));
  }
  return node;
}

export async function readComposeText(): Promise<string> {
  return readFile(composePath, 'utf8');
}

/** The parsed file before interpolation (merge keys resolved), as `docker compose config --no-interpolate` sees it. */
export async function loadRawCompose(): Promise<ComposeFile> {
  return parse(await readComposeText(), { merge: true }) as ComposeFile;
}

/** The parsed file with variables interpolated from `vars` (the test values by default). */
export async function loadCompose(vars: Record<string, string | undefined> = testVariables): Promise<ComposeFile> {
  return interpolateDeep(await loadRawCompose(), vars) as ComposeFile;
}

/** A `KEY: value` map or `KEY=value` list as strings (a bare `KEY` in a list is empty). */
function stringMap(entries: Record<string, string | number | boolean | null> | string[]): Record<string, string> {
  if (Array.isArray(entries)) {
    return Object.fromEntries(
      entries.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** A service's environment as strings (map or `KEY=value` list form). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  return stringMap(service.environment ?? {});
}

export function commandOf(service: ComposeService): string[] {
  const command = service.command;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

/** A service's build: context, Dockerfile and build arguments (`args`, map or list form). */
export function buildOf(service: ComposeService): { context: string; dockerfile: string; args: Record<string, string> } | undefined {
  if (service.build === undefined) return undefined;
  if (typeof service.build === 'string') return { context: service.build, dockerfile: 'Dockerfile', args: {} };
  return { context: service.build.context ?? '.', dockerfile: service.build.dockerfile ?? 'Dockerfile', args: stringMap(service.build.args ?? {}) };
}

export function dependsOn(service: ComposeService): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

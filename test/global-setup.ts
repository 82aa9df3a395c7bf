import type { TestProject } from 'vitest/node';
import { createMigratedDatabase, startPostgres, type PostgresServer } from '@chat/testkit';

let pg: PostgresServer | undefined;

/** One private PostgreSQL for the run, with a migrated template each test file clones. */
export async function setup(project: TestProject): Promise<void> {
  pg = await startPostgres();
  const template = 'chat_template';
  await createMigratedDatabase(pg, template);
  project.provide('pgPort', pg.port);
  project.provide('pgTemplate', template);
}

export async function teardown(): Promise<void> {
  await pg?.stop();
}

/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
import { loadOrExit, parseEnv, env } from '@chat/runtime';
import { createOrm, migrate } from '@chat/store';

const { DATABASE_URL } = loadOrExit(() =>
  parseEnv({ DATABASE_URL: env.url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/chat') }, process.env),
);
const orm = await createOrm({ databaseUrl: DATABASE_URL, poolMax: 1 });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
} finally {
  await orm.close(true);
}

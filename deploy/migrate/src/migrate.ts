/**
 * The compose `migrate` one-shot (and a Kubernetes Job or init container): applies
 * pending migrations to DATABASE_URL and exits 0, so the services that depend on it
 * start against the current schema. Compiled into the API image as `dist/migrate.js`.
 */
import { createLogger, env, loadOrExit, parseEnv } from '@chat/runtime';
import { createOrm, migrate } from '@chat/store';

const config = loadOrExit(() =>
  parseEnv(
    {
      DATABASE_URL: env.url(['postgres:', 'postgresql:']),
      LOG_LEVEL: env.logLevel(),
    },
    process.env,
  ),
);
const logger = createLogger({ service: 'migrate', level: config.LOG_LEVEL });

const orm = await createOrm({ databaseUrl: config.DATABASE_URL, poolMax: 1 });
try {
  const applied = await migrate(orm);
  logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema is up to date');
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await orm.close(true);
}

import { once } from 'node:events';
import { createLogger, createRedis, createStatusServer, exitOnSignals, loadOrExit, loadWorkerConfig, safeError } from '@chat/runtime';
import { createOrm } from '@chat/store';
import { createBotWorker } from './worker.js';

const config = loadOrExit(() => loadWorkerConfig());
const logger = createLogger({ service: 'bot-worker', level: config.logLevel });

const connection = createRedis(config.redis, { forWorker: true, connectionName: 'bot-worker:queues' });
const publisher = createRedis(config.redis, { connectionName: 'bot-worker:publisher' });
// ioredis reconnects by itself; without a listener it would print "Unhandled error event" outside the logs.
for (const [name, client] of Object.entries({ connection, publisher })) {
  client.on('error', (err: unknown) => logger.warn({ client: name, err: safeError(err) }, 'redis connection error'));
}
const orm = await createOrm({ databaseUrl: config.databaseUrl, poolMax: Math.max(4, config.stockConcurrency + config.aiConcurrency) });

const worker = createBotWorker({ connection, publisher, orm, logger }, config);
const server = createStatusServer({ service: 'bot-worker', registry: worker.registry, logger, checks: worker.checks });

// Jobs first (they still need Redis and PostgreSQL), then the connections. No deadline: a running AI job is let finish.
exitOnSignals(
  async () => {
    await worker.stop();
    server.close();
    await Promise.allSettled([orm.close(true), connection.quit(), publisher.quit()]);
  },
  { logger },
);

// /health answers while the process runs; /health/ready tells whether Redis and PostgreSQL do.
server.listen(config.port, config.host);
await once(server, 'listening');
logger.info({ port: config.port }, 'bot worker listening for /health and /metrics');
await worker.start();

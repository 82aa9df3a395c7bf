import { createServer } from 'node:http';
import { createCommandQueues, createLogger, createRedis, createSubscriber, exitOnSignals, loadGatewayConfig, loadOrExit, safeError } from '@chat/runtime';
import { createOrm } from '@chat/store';
import { createGateway } from './gateway.js';

const config = loadOrExit(() => loadGatewayConfig());
const logger = createLogger({ service: 'gateway', level: config.logLevel }).child({ replicaId: config.replicaId });

const orm = await createOrm({ databaseUrl: config.databaseUrl, poolMax: 10 });
const redis = createRedis(config.redis, { connectionName: `gateway:${config.replicaId}` });
// Subscriber mode needs a connection of its own; it must also wait out outages rather than fail commands.
// The other two time their commands out (createRedis), so a hung Redis cannot hold a handler.
const subscriber = createSubscriber(config.redis, { connectionName: `gateway:${config.replicaId}:sub` });
const queueConnection = createRedis(config.redis, { connectionName: `gateway:${config.replicaId}:queues` });
for (const [name, client] of Object.entries({ redis, subscriber, queueConnection })) {
  client.on('error', (err: unknown) => logger.warn({ client: name, err: safeError(err) }, 'redis connection error'));
}
const queues = createCommandQueues(queueConnection);

const httpServer = createServer();
const gateway = createGateway(httpServer, { config, orm, redis, subscriber, queues, logger });

exitOnSignals(
  async () => {
    await gateway.stop();
    await Promise.allSettled([queues.close(), orm.close(true)]);
    await Promise.allSettled([redis.quit(), subscriber.quit(), queueConnection.quit()]);
  },
  { logger, forceExitAfterMs: 30_000 },
);

await gateway.start();
httpServer.listen(config.port, config.host, () => {
  logger.info({ port: config.port, host: config.host }, 'gateway listening');
});

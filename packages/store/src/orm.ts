import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migration, Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { Migration20261121000000_initial } from './migrations/Migration20261121000000_initial.js';
import { Migration20261201000000_room_names_icu_lower } from './migrations/Migration20261201000000_room_names_icu_lower.js';
import { Migration20261202000000_message_functions } from './migrations/Migration20261202000000_message_functions.js';
import { Migration20261203000000_accounts_and_revocations } from './migrations/Migration20261203000000_accounts_and_revocations.js';
import { Migration20261204000000_read_cursors_and_reactions } from './migrations/Migration20261204000000_read_cursors_and_reactions.js';
import { Migration20261205000000_message_json_inline } from './migrations/Migration20261205000000_message_json_inline.js';

export type Orm = MikroORM;

export interface OrmOptions {
  databaseUrl: string;
  /** Connection pool size per process. @default 10 */
  poolMax?: number;
  debug?: boolean;
  /**
   * Longest one SQL statement may run before PostgreSQL cancels it (SQLSTATE
   * 57014), so a stalled database or a lock that is never released cannot hold
   * a request forever. 0 turns it off (a long migration). @default 10000
   */
  statementTimeoutMs?: number;
  /**
   * Longest a transaction may sit idle before PostgreSQL ends its session
   * (25P03) and so releases its locks (a process that hangs mid-transaction).
   * 0 turns it off. @default 10000
   */
  idleInTransactionTimeoutMs?: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

type MigrationClass = new (...args: ConstructorParameters<typeof Migration>) => Migration;

const LIFT_SESSION_TIMEOUTS = 'set local statement_timeout = 0; set local idle_in_transaction_session_timeout = 0';

/**
 * A migration (an index on a large table) may run far longer than a request:
 * each one first lifts the session timeouts createOrm sets, for the rest of the
 * transaction they all run in (`allOrNothing`).
 */
function liftingSessionTimeouts(Base: MigrationClass): MigrationClass {
  return class extends Base {
    override async up(): Promise<void> {
      this.addSql(LIFT_SESSION_TIMEOUTS);
      await Base.prototype.up.call(this);
    }

    override async down(): Promise<void> {
      this.addSql(LIFT_SESSION_TIMEOUTS);
      await Base.prototype.down.call(this);
    }
  };
}

/** The migrations, listed here so they run the same from src/ (tsx) and dist/ (node). */
export const migrationsList = [
  { name: 'Migration20261121000000_initial', class: Migration20261121000000_initial },
  { name: 'Migration20261201000000_room_names_icu_lower', class: Migration20261201000000_room_names_icu_lower },
  { name: 'Migration20261202000000_message_functions', class: Migration20261202000000_message_functions },
  { name: 'Migration20261203000000_accounts_and_revocations', class: Migration20261203000000_accounts_and_revocations },
  { name: 'Migration20261204000000_read_cursors_and_reactions', class: Migration20261204000000_read_cursors_and_reactions },
  { name: 'Migration20261205000000_message_json_inline', class: Migration20261205000000_message_json_inline },
].map((m) => ({ name: m.name, class: liftingSessionTimeouts(m.class) }));

export function ormConfig(options: OrmOptions): Options {
  return {
    clientUrl: options.databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    debug: options.debug ?? false,
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Session settings in pg's startup message: every pooled connection has them from its first query.
    driverOptions: {
      connection: {
        statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
        idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    // Every unit of work forks the EntityManager (context.ts): nothing may use the global one.
    allowGlobalContext: false,
  };
}

export async function createOrm(options: OrmOptions): Promise<Orm> {
  return MikroORM.init(ormConfig(options));
}

/** Applies pending migrations and returns their names. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

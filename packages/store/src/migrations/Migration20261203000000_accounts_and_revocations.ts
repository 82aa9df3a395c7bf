import { Migration } from '@mikro-orm/migrations';

/**
 * Deleted accounts and durable logouts.
 *
 * A deleted account keeps its row (its messages still name a sender, shown as `deleted user`), with
 * `deleted_at` set, the name freed and the password hash cleared; its memberships go. Names are unique
 * among live accounts only.
 *
 * `revoked_tokens` is the logout denylist's durable copy: Redis caches it for every request and
 * handshake, and reloads it from here when it has lost its data.
 */
export class Migration20261203000000_accounts_and_revocations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "deleted_at" timestamptz null;`);
    this.addSql(`drop index if exists "users_username_lower_unique";`);
    this.addSql(`create unique index "users_username_lower_unique" on "users" (lower("username")) where "deleted_at" is null;`);
    this.addSql(`create index "users_deleted_at_index" on "users" ("deleted_at") where "deleted_at" is not null;`);
    this.addSql(`
      create table "revoked_tokens" (
        "token_id" varchar(64) primary key,
        "user_id" uuid not null,
        "expires_at" timestamptz not null
      );`);
    this.addSql(`create index "revoked_tokens_expires_at_index" on "revoked_tokens" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "revoked_tokens";`);
    this.addSql(`drop index if exists "users_deleted_at_index";`);
    this.addSql(`drop index if exists "users_username_lower_unique";`);
    this.addSql(`create unique index "users_username_lower_unique" on "users" (lower("username"));`);
    this.addSql(`alter table "users" drop column "deleted_at";`);
  }
}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261121000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "users" (
        "id" uuid primary key,
        "username" varchar(50) not null,
        "password_hash" varchar(255) not null,
        "created_at" timestamptz not null default now()
      );`);
    this.addSql(`create unique index "users_username_lower_unique" on "users" (lower("username"));`);

    this.addSql(`
      create table "rooms" (
        "id" uuid primary key,
        "name" varchar(64) not null,
        "description" varchar(500) not null default '',
        "owner_id" uuid not null references "users" ("id") on update cascade,
        "last_seq" bigint not null default 0,
        "created_at" timestamptz not null default now()
      );`);
    this.addSql(`create unique index "rooms_name_lower_unique" on "rooms" (lower("name"));`);
    this.addSql(`create index "rooms_created_at_index" on "rooms" ("created_at");`);

    this.addSql(`
      create table "memberships" (
        "room_id" uuid not null references "rooms" ("id") on update cascade on delete cascade,
        "user_id" uuid not null references "users" ("id") on update cascade on delete cascade,
        "role" text check ("role" in ('owner', 'member')) not null default 'member',
        "joined_at" timestamptz not null default now(),
        primary key ("room_id", "user_id")
      );`);
    this.addSql(`create index "memberships_user_id_index" on "memberships" ("user_id");`);

    this.addSql(`
      create table "messages" (
        "id" uuid primary key,
        "room_id" uuid not null references "rooms" ("id") on update cascade on delete cascade,
        "seq" bigint not null,
        "type" text check ("type" in ('message', 'system', 'bot')) not null,
        "content" text not null,
        "sender_id" uuid null references "users" ("id") on update cascade on delete set null,
        "bot_name" varchar(32) null,
        "client_id" varchar(64) null,
        "job_id" varchar(128) null,
        "created_at" timestamptz not null default now()
      );`);
    // History pages by (room, seq); the unique index is also that index.
    this.addSql(`create unique index "messages_room_id_seq_unique" on "messages" ("room_id", "seq");`);
    this.addSql(`create unique index "messages_room_sender_client_id_unique" on "messages" ("room_id", "sender_id", "client_id") where "client_id" is not null;`);
    this.addSql(`create unique index "messages_job_id_unique" on "messages" ("job_id") where "job_id" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "messages" cascade;`);
    this.addSql(`drop table if exists "memberships" cascade;`);
    this.addSql(`drop table if exists "rooms" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * The message path as server-side functions, so that a group commit, a join and a
 * leave each take one round trip instead of six or seven statements (the gateway's
 * CPU and a send's latency are mostly spent per round trip):
 * - `chat_message_json(m, username)`: a row as the contract's `message` — the one mapper
 *   every read and write of messages uses;
 * - `chat_append_messages(...)`: a batch of drafts, in order, with gapless seqs per room;
 * - `chat_join_room` / `chat_leave_room`: the membership change and its system message.
 */
export class Migration20261202000000_message_functions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "messages" alter column "id" set default gen_random_uuid();`);

    this.addSql(`
      create or replace function chat_message_json(m messages, sender_username text) returns json
      language sql immutable parallel safe as $$
        select row_to_json(x) from (select
          m.id as "id",
          m.room_id as "roomId",
          m.seq as "seq",
          m.type as "type",
          m.content as "content",
          case
            when m.type = 'message' and m.sender_id is not null then (select row_to_json(s) from (select m.sender_id as "id", coalesce(sender_username, '') as "username") s)
            when m.type = 'bot' then (select row_to_json(s) from (select null::uuid as "id", coalesce(m.bot_name, 'stock-bot') as "username") s)
          end as "sender",
          case when m.type = 'message' then m.client_id end as "clientId",
          to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "timestamp") x
      $$;`);

    // Drafts are parallel arrays (one element per draft, null where a field does not apply), answered
    // in order, each with one outcome: created (stored now), existing (its clientId in the room from
    // this sender, or its jobId, was stored before, or earlier in this batch: that message), forbidden
    // (a chat message whose sender is not a member), not_found (no such room).
    // The rooms are locked first, in id order, in a statement of their own: the query after it then
    // sees every earlier writer of these rooms committed. FOR NO KEY UPDATE serialises a room's writers
    // but does not conflict with the FOR KEY SHARE locks foreign keys take, so a caller that inserted a
    // membership of the room first cannot deadlock. The rest is one set-based statement (a loop costs a
    // statement per draft), on a generic plan (planning it per call cost more than running it), made
    // without sequential scans: every read in it is a keyed lookup, and a plan made while a table was
    // small (a new database) must not scan it whole once it has grown.
    this.addSql(`
      create or replace function chat_append_messages(
        p_room_ids uuid[], p_types text[], p_contents text[], p_sender_ids uuid[],
        p_bot_names text[], p_client_ids text[], p_job_ids text[])
      returns table (ord int, outcome text, message text)
      language plpgsql set plan_cache_mode = force_generic_plan set enable_seqscan = off as $$
      begin
        perform 1 from rooms where id = any(p_room_ids) order by id for no key update;
        return query
        with d as (
          select u.* from unnest(p_room_ids, p_types, p_contents, p_sender_ids, p_bot_names, p_client_ids, p_job_ids)
            with ordinality as u(room_id, type, content, sender_id, bot_name, client_id, job_id, ord)
        ),
        -- Every lookup is a LATERAL subquery with LIMIT 1: it stays a parameterised index scan per draft,
        -- never a hash over a whole table, whatever the statistics said when the plan was made.
        keyed as (
          select d.*, r.last_seq,
            case
              when r.last_seq is null then 'not_found'
              when d.type = 'message' and mem.member is null then 'forbidden'
            end as refusal,
            coalesce(chat.json, bot.json) as stored,
            case when d.type = 'system' then d.ord
                 else first_value(d.ord) over (partition by d.type, d.room_id, d.sender_id, d.client_id, d.job_id order by d.ord) end as first_ord
          from d
          left join lateral (select rr.last_seq from rooms rr where rr.id = d.room_id limit 1) r on true
          left join lateral (select true as member from memberships ms
                             where d.type = 'message' and ms.room_id = d.room_id and ms.user_id = d.sender_id limit 1) mem on true
          left join lateral (select chat_message_json(m, u.username)::text as json from messages m left join users u on u.id = m.sender_id
                             where d.type = 'message' and m.room_id = d.room_id and m.sender_id = d.sender_id and m.client_id = d.client_id limit 1) chat on true
          left join lateral (select chat_message_json(m, null)::text as json from messages m
                             where d.type = 'bot' and m.job_id = d.job_id limit 1) bot on true
        ),
        fresh as (
          select k.*, k.last_seq + row_number() over (partition by k.room_id order by k.ord) as seq
          from keyed k where k.refusal is null and k.stored is null and k.first_ord = k.ord
        ),
        inserted as (
          insert into messages as m (room_id, seq, type, content, sender_id, bot_name, client_id, job_id)
          select f.room_id, f.seq, f.type, f.content,
            case when f.type = 'message' then f.sender_id end, case when f.type = 'bot' then f.bot_name end,
            case when f.type = 'message' then f.client_id end, case when f.type = 'bot' then f.job_id end
          from fresh f
          returning m.room_id, m.seq, chat_message_json(m, (select u.username from users u where u.id = m.sender_id))::text as json
        ),
        bumped as (
          update rooms r set last_seq = x.seq from (select f.room_id, max(f.seq) as seq from fresh f group by f.room_id) x where r.id = x.room_id
        )
        select k.ord::int,
          case when k.refusal is not null then k.refusal when k.stored is not null or k.first_ord <> k.ord then 'existing' else 'created' end,
          coalesce(k.stored, i.json)
        from keyed k
        left join fresh f on f.ord = k.first_ord
        left join inserted i on i.room_id = f.room_id and i.seq = f.seq
        order by k.ord;
      end $$;`);

    // A membership and its system message, in the caller's one statement (and so one transaction).
    this.addSql(`
      create or replace function chat_join_room(p_room_id uuid, p_user_id uuid, p_username text)
      returns table (outcome text, message text)
      language plpgsql as $$
      declare
        owner uuid;
      begin
        select owner_id into owner from rooms where id = p_room_id;
        if not found then
          outcome := 'not_found';
          return next;
          return;
        end if;
        insert into memberships (room_id, user_id, role)
          values (p_room_id, p_user_id, case when owner = p_user_id then 'owner' else 'member' end)
          on conflict (room_id, user_id) do nothing;
        if not found then
          outcome := 'unchanged';
          return next;
          return;
        end if;
        outcome := 'changed';
        select a.message into message from chat_append_messages(array[p_room_id], array['system'], array[p_username || ' joined the room'],
          array[null]::uuid[], array[null], array[null], array[null]) a;
        return next;
      end $$;`);

    this.addSql(`
      create or replace function chat_leave_room(p_room_id uuid, p_user_id uuid, p_username text)
      returns table (outcome text, message text)
      language plpgsql as $$
      begin
        perform 1 from rooms where id = p_room_id;
        if not found then
          outcome := 'not_found';
          return next;
          return;
        end if;
        delete from memberships where room_id = p_room_id and user_id = p_user_id;
        if not found then
          outcome := 'unchanged';
          return next;
          return;
        end if;
        outcome := 'changed';
        select a.message into message from chat_append_messages(array[p_room_id], array['system'], array[p_username || ' left the room'],
          array[null]::uuid[], array[null], array[null], array[null]) a;
        return next;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists chat_leave_room(uuid, uuid, text);`);
    this.addSql(`drop function if exists chat_join_room(uuid, uuid, text);`);
    this.addSql(`drop function if exists chat_append_messages(uuid[], text[], text[], uuid[], text[], text[], text[]);`);
    this.addSql(`drop function if exists chat_message_json(messages, text);`);
    this.addSql(`alter table "messages" alter column "id" drop default;`);
  }
}

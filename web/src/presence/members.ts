import type { PresenceEvent, Role, RoomMember, UserRef } from '@chat/contract';

export interface MemberState {
  id: string;
  username: string;
  role: Role | null;
  online: boolean;
}

/**
 * Who is in the room and who is online in it right now: members from REST room
 * details, online users from the `room:join` ack, then `presence` events.
 */
export class Members {
  readonly #byId = new Map<string, MemberState>();

  /** The member list from REST; online states we already know from events win over its snapshot. */
  setMembers(members: RoomMember[]): void {
    const previous = new Map(this.#byId);
    this.#byId.clear();
    for (const m of members) {
      this.#byId.set(m.id, { id: m.id, username: m.username, role: m.role, online: previous.get(m.id)?.online ?? m.online });
    }
  }

  /** The join ack's list is the truth at join time: everyone else is offline. */
  setOnline(users: UserRef[]): void {
    const online = new Set(users.map((u) => u.id));
    for (const m of this.#byId.values()) m.online = online.has(m.id);
    for (const u of users) if (!this.#byId.has(u.id)) this.#byId.set(u.id, { id: u.id, username: u.username, role: null, online: true });
  }

  apply(event: PresenceEvent): void {
    const known = this.#byId.get(event.user.id);
    const online = event.status === 'online';
    if (known) known.online = online;
    else this.#byId.set(event.user.id, { id: event.user.id, username: event.user.username, role: null, online });
  }

  get onlineCount(): number {
    let count = 0;
    for (const m of this.#byId.values()) if (m.online) count++;
    return count;
  }

  /** Online first, then by name. */
  list(): MemberState[] {
    return [...this.#byId.values()].sort((a, b) => Number(b.online) - Number(a.online) || a.username.localeCompare(b.username));
  }
}

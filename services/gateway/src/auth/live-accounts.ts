/** How long a user found live is taken as live without asking again. */
const DEFAULT_TTL_MS = 10_000;
/** Entries kept at most; the oldest go first. */
const MAX_ENTRIES = 100_000;

/**
 * Whether a token's account still exists, as the handshake asks: an account an operator deleted
 * in PostgreSQL has no denylist entry, so the handshake reads the users table, with a short
 * cache of accounts found live. `forget` drops one at once (DELETE /api/me, on every replica).
 */
export class LiveAccounts {
  private readonly liveUntil = new Map<string, number>();

  constructor(
    private readonly findUser: (userId: string) => Promise<unknown>,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  async isLive(userId: string): Promise<boolean> {
    const until = this.liveUntil.get(userId);
    if (until !== undefined && until > Date.now()) return true;
    const live = (await this.findUser(userId)) !== undefined;
    this.liveUntil.delete(userId);
    if (live) {
      if (this.liveUntil.size >= MAX_ENTRIES) this.liveUntil.delete(this.liveUntil.keys().next().value!);
      this.liveUntil.set(userId, Date.now() + this.ttlMs);
    }
    return live;
  }

  forget(userId: string): void {
    this.liveUntil.delete(userId);
  }
}

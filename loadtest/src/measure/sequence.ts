/**
 * What one receiving socket saw of one room's `seq`s: a bitmap of seqs (they are dense,
 * so this stays small), the highest so far, and counts of duplicates and of arrivals
 * below the highest (out of order).
 */
export class SeqTracker {
  private seen = new Uint8Array(256);
  highest = 0;
  received = 0;
  duplicates = 0;
  outOfOrder = 0;

  record(seq: number): void {
    const byte = seq >> 3;
    if (byte >= this.seen.length) {
      const bigger = new Uint8Array(Math.max(this.seen.length * 2, byte + 1));
      bigger.set(this.seen);
      this.seen = bigger;
    }
    const bit = 1 << (seq & 7);
    const bits = this.seen[byte] ?? 0;
    if (bits & bit) {
      this.duplicates++;
      return;
    }
    this.seen[byte] = bits | bit;
    this.received++;
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
  }

  has(seq: number): boolean {
    const byte = seq >> 3;
    return ((this.seen[byte] ?? 0) & (1 << (seq & 7))) !== 0;
  }
}

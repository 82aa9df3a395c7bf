export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** A growable list of numbers (latencies in ms) with percentiles. */
export class Samples {
  private data = new Float64Array(4096);
  private size = 0;

  get count(): number {
    return this.size;
  }

  add(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  summary(): Summary {
    if (this.size === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
    const sorted = this.data.slice(0, this.size).sort();
    const at = (q: number): number => sorted[Math.min(this.size - 1, Math.ceil(q * this.size) - 1)]!;
    let sum = 0;
    for (const v of sorted) sum += v;
    return { count: this.size, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[this.size - 1]!, mean: sum / this.size };
  }
}

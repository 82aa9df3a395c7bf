import type { TargetName } from '../env/target.js';

export type Row = Record<string, string | number>;

/** What a scenario hands back: a table for people and the full figures for the JSON file. */
export interface ScenarioResult {
  scenario: string;
  target: TargetName;
  /** One line of the printed table per step (or per gateway). */
  rows: Row[];
  /** The headline, e.g. the highest delivered rate under the p99 bound. */
  summary: Row;
  /**
   * What makes the run invalid or shows a fault (sockets dropped, messages lost, duplicated
   * or reordered), in words; empty when none. Printed prominently; the runner then exits 1.
   */
  problems: string[];
  details: unknown;
}

/** A message content of about `bytes` characters (the contract allows 1–1000). */
export function content(bytes: number): string {
  const size = Math.max(8, Math.min(1000, bytes));
  return `load ${'x'.repeat(size - 5)}`;
}

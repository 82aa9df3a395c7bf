import { readFile } from 'node:fs/promises';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Bytes (self size) per `type name` of what a V8 heap snapshot holds, e.g. `object Socket`, `closure onclose`. */
export async function heapByConstructor(file: string): Promise<Map<string, { bytes: number; count: number }>> {
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const byName = new Map<string, { bytes: number; count: number }>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]!]!;
    // Strings and numbers by kind only: their text is the data, not a kind of object.
    const name = type === 'object' || type === 'closure' || type === 'native' ? strings[nodes[i + nameAt]!]! : '';
    const key = `${type} ${name}`.trim();
    const entry = byName.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt]!;
    entry.count += 1;
    byName.set(key, entry);
  }
  return byName;
}

/** What grew between two snapshots, per unit (e.g. per socket), largest first. */
export function heapGrowth(
  before: Map<string, { bytes: number; count: number }>,
  after: Map<string, { bytes: number; count: number }>,
  units: number,
): { name: string; bytesPerUnit: number; countPerUnit: number }[] {
  return [...after]
    .map(([name, a]) => {
      const b = before.get(name) ?? { bytes: 0, count: 0 };
      return { name, bytesPerUnit: (a.bytes - b.bytes) / units, countPerUnit: (a.count - b.count) / units };
    })
    .sort((x, y) => y.bytesPerUnit - x.bytesPerUnit);
}

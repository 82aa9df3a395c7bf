/**
 * Writes docs/openapi.json and docs/asyncapi.yaml from the contract (`npm run docs:api`).
 * test/api-docs.test.ts fails when the checked-in copies drift from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { asyncApiDocument, openApiDocument } from '@chat/contract';

export const openApiText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
export const asyncApiText = (): string =>
  `# Generated from packages/contract by \`npm run docs:api\`; do not edit.\n${stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const docs = new URL('../docs/', import.meta.url);
  await writeFile(new URL('openapi.json', docs), openApiText());
  await writeFile(new URL('asyncapi.yaml', docs), asyncApiText());
  console.log('wrote docs/openapi.json and docs/asyncapi.yaml');
}

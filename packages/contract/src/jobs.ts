import { z } from 'zod';
import { userRefSchema } from './rest.js';
import { STOCK_CODE_PATTERN, SUMMARY_MAX_COUNT } from './commands.js';
import { uuidSchema } from './primitives.js';

export const QUEUE_STOCK = 'stock';
export const QUEUE_AI = 'ai';

const jobBase = {
  /** Derived from the request (room, user, clientId): a retried send maps to the same job. */
  requestId: uuidSchema,
  roomId: uuidSchema,
  requestedBy: userRefSchema,
};

export const stockJobSchema = z.strictObject({
  ...jobBase,
  code: z.string().regex(STOCK_CODE_PATTERN),
});
export type StockJob = z.infer<typeof stockJobSchema>;

export const aiJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...jobBase, kind: z.literal('ai'), prompt: z.string().min(1).max(1000) }),
  z.strictObject({
    ...jobBase,
    kind: z.literal('summary'),
    count: z.number().int().min(1).max(SUMMARY_MAX_COUNT),
    /**
     * The room's last seq when /summary was sent: the summary covers the `count`
     * messages up to it, not what arrived while the job waited. Absent only from jobs
     * queued by a gateway older than this field; those summarise the latest messages.
     */
    upToSeq: z.number().int().min(0).optional(),
  }),
]);
export type AiJob = z.infer<typeof aiJobSchema>;

/** What a finished job returns: the stored bot message's id and seq. */
export const botJobResultSchema = z.object({ messageId: uuidSchema, seq: z.number().int() });
export type BotJobResult = z.infer<typeof botJobResultSchema>;

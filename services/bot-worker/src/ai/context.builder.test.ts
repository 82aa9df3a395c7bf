import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Message } from '@chat/contract';
import { buildAskTurns, buildSummaryTurns, transcriptLine, trimTranscript } from './context.builder.js';
import { AI_EMPTY_ANSWER_TEXT, AI_REPLY_MAX_CHARS, normaliseAnswer } from './ai.replies.js';

const roomId = randomUUID();
let seq = 0;
const chat = (username: string, content: string): Message => ({
  id: randomUUID(),
  roomId,
  seq: ++seq,
  type: 'message',
  content,
  sender: { id: randomUUID(), username },
  clientId: 'c',
  timestamp: new Date().toISOString(),
});

describe('AI context', () => {
  it('names the sender of each line, bots and system messages included', () => {
    expect(transcriptLine(chat('ann', 'hi'))).toBe('ann: hi');
    expect(transcriptLine({ ...chat('x', 'AAPL.US quote is $1.00 per share'), type: 'bot', sender: { id: null, username: 'stock-bot' } })).toBe(
      'stock-bot: AAPL.US quote is $1.00 per share',
    );
    expect(transcriptLine({ ...chat('x', 'ann joined the room'), type: 'system', sender: null })).toBe('system: ann joined the room');
  });

  it('keeps the newest lines that fit the budget, oldest first', () => {
    const messages = [chat('ann', 'one'), chat('bob', 'two'), chat('ann', 'three')];
    // "bob: two\n" (9) + "ann: three\n" (11) = 20
    expect(trimTranscript(messages, 20)).toEqual(['bob: two', 'ann: three']);
    expect(trimTranscript(messages, 19)).toEqual(['ann: three']);
    expect(trimTranscript(messages, 0)).toEqual([]);
  });

  it('stops at the first line that does not fit, so the context has no holes', () => {
    const messages = [chat('ann', 'short'), chat('bob', 'x'.repeat(100)), chat('ann', 'last')];
    expect(trimTranscript(messages, 50)).toEqual(['ann: last']);
  });

  it('sends the question after the context, and no context turn when there is none', () => {
    const asker = { id: randomUUID(), username: 'ann' };
    const withContext = buildAskTurns('why?', asker, [chat('bob', 'because')], 1000);
    expect(withContext.map((t) => t.role)).toEqual(['system', 'user', 'user']);
    expect(withContext[2]).toEqual({ role: 'user', content: 'ann asks: why?' });
    expect(buildAskTurns('why?', asker, [], 1000).map((t) => t.role)).toEqual(['system', 'user']);
  });

  it('counts the lines a summary covers', () => {
    const { lines, turns } = buildSummaryTurns([chat('ann', 'a'), chat('bob', 'b')], 1000);
    expect(lines).toBe(2);
    expect(turns[1]?.content).toBe('Summarise these 2 messages, oldest first:\nann: a\nbob: b');
  });
});

describe('AI answers', () => {
  it('are stored trimmed, bounded and never empty', () => {
    expect(normaliseAnswer('  <script>x</script>  ')).toBe('<script>x</script>');
    expect(normaliseAnswer(' \n ')).toBe(AI_EMPTY_ANSWER_TEXT);
    const long = normaliseAnswer('y'.repeat(AI_REPLY_MAX_CHARS + 10));
    expect(long).toHaveLength(AI_REPLY_MAX_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  it('drop NUL characters, which PostgreSQL cannot store', () => {
    expect(normaliseAnswer('a\u0000b')).toBe('ab');
    expect(normaliseAnswer('\u0000')).toBe(AI_EMPTY_ANSWER_TEXT);
  });

  it('are cut short without splitting an emoji', () => {
    const cut = normaliseAnswer(`${'y'.repeat(AI_REPLY_MAX_CHARS - 2)}😀${'z'.repeat(20)}`);
    expect(cut.endsWith('y…')).toBe(true);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false); // no lone high surrogate
  });
});

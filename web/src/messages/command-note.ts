import type { MessageSendResult } from '@chat/contract';

/** What the sender alone sees after a command was accepted (commands are not stored). */
export function commandNote(ack: MessageSendResult, content: string): string {
  if (!('command' in ack)) return content;
  switch (ack.command) {
    case 'help':
      return 'text' in ack ? ack.text : 'Commands: /stock=CODE, /ai PROMPT, /summary [N], /help';
    case 'stock':
      return `${content} — asked stock-bot for a quote; the answer will appear here for everyone.`;
    case 'ai':
    case 'summary':
      return `${content} — asked the AI; its answer will appear here as it is written.`;
  }
}

import type { SendEvent } from '@chat/client';
import { describeError, isRetryable } from '../api/errors.js';
import { commandNote } from './command-note.js';
import type { Timeline } from './timeline.js';

/** Text the server refused as invalid, to go back into the message box with the reason. */
export interface Refused {
  content: string;
  reason: string;
}

/**
 * Shows one of our sends on the timeline as the SDK reports it: pending while it waits,
 * goes out or waits for an answer; the stored message (or a command's note) once sent;
 * failed in words, with Retry where trying again may help. An invalid one leaves the
 * timeline and is returned, for the message box.
 */
export function showSend(timeline: Timeline, event: SendEvent): Refused | undefined {
  const { clientId, content } = event;
  switch (event.state) {
    case 'sent':
      timeline.removePending(clientId);
      if ('message' in event.result) timeline.add([event.result.message]);
      else timeline.addNote(commandNote(event.result, content));
      return undefined;
    case 'failed': {
      const { error } = event;
      // The client closed (signed out): nothing to retry.
      if (error.code === 'validation' || error.code === 'closed') {
        timeline.removePending(clientId);
        return error.code === 'validation' ? { content, reason: describeError('validation', error.message) } : undefined;
      }
      const retryAfter = error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000);
      timeline.upsertPending(clientId, content, 'failed');
      timeline.updatePending(clientId, { error: describeError(error.code, error.message, retryAfter), retryable: isRetryable(error.code) });
      return undefined;
    }
    default:
      timeline.upsertPending(clientId, content, event.state);
      return undefined;
  }
}

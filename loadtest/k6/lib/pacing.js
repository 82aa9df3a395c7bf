// What a closed-loop sender does after a message:send ack. A plain module with no
// imports, so k6 and Node (loadtest/test/k6-pacing.test.ts) both load it.
//   ok                              → send the next one at once
//   rate_limited, unavailable,      → wait, doubling from BACKOFF_START_MS up to
//   internal, or no answer            BACKOFF_MAX_MS, then send again
//   anything else (validation,      → stop: sending more cannot succeed
//   forbidden, unauthorized, …)

export var BACKOFF_START_MS = 250;
export var BACKOFF_MAX_MS = 10000;

var RETRYABLE = { rate_limited: true, unavailable: true, internal: true };

/**
 * `answer` is the ack (or undefined), `backoffMs` the wait chosen after the previous ack
 * (0 after a success). Returns {action: 'send' | 'wait' | 'stop', delayMs, reason}.
 */
export function afterAck(answer, backoffMs) {
  if (answer && answer.ok) return { action: 'send', delayMs: 0, reason: 'ok' };
  var code = answer && answer.error ? answer.error.code : 'no answer';
  if (!answer || RETRYABLE[code]) {
    var delay = backoffMs > 0 ? Math.min(backoffMs * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
    return { action: 'wait', delayMs: delay, reason: code };
  }
  return { action: 'stop', delayMs: 0, reason: code };
}

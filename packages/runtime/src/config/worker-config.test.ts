import { describe, expect, it } from 'vitest';
import { ConfigError, loadWorkerConfig } from '@chat/runtime';

describe('worker configuration', () => {
  it('has production defaults for retries and crash recovery', () => {
    const config = loadWorkerConfig({});
    expect(config).toMatchObject({ backoffMs: 1000, lockDurationMs: 8_000, stalledIntervalMs: 3_000, maxStalledCount: 3, aiSummaryChars: 60_000, stooqUrl: 'https://stooq.com' });
    expect(config.openaiApiKey).toBeUndefined();
  });

  it('reads the retry, lock and budget settings from the environment', () => {
    const config = loadWorkerConfig({
      BOT_BACKOFF_MS: '25',
      BOT_LOCK_DURATION_MS: '2000',
      BOT_STALLED_INTERVAL_MS: '500',
      BOT_MAX_STALLED_COUNT: '0',
      AI_SUMMARY_CHARS: '1234',
      STOOQ_URL: 'http://127.0.0.1:9/',
      STOCK_RATE_PER_SECOND: '3',
    });
    expect(config).toMatchObject({ backoffMs: 25, lockDurationMs: 2000, stalledIntervalMs: 500, maxStalledCount: 0, aiSummaryChars: 1234, stooqUrl: 'http://127.0.0.1:9', stockRatePerSecond: 3 });
  });

  it('names the variable of a bad value', () => {
    expect(() => loadWorkerConfig({ BOT_LOCK_DURATION_MS: '10' })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ BOT_LOCK_DURATION_MS: '10' })).toThrow(/BOT_LOCK_DURATION_MS/);
    for (const bad of ['-1', 'many', '1.5']) expect(() => loadWorkerConfig({ BOT_MAX_STALLED_COUNT: bad })).toThrow(/BOT_MAX_STALLED_COUNT/);
  });
});

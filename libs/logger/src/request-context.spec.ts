import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { requestIdMixin } from './logger';
import { currentRequestId, withRequestId } from './request-context';

describe('request context', () => {
  it('follows async calls and tags every line logged inside it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ base: undefined, timestamp: false, mixin: requestIdMixin }, { write: (line: string) => lines.push(JSON.parse(line)) });
    logger.info('outside');
    await withRequestId('req-1', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(currentRequestId()).toBe('req-1');
      logger.child({ component: 'x' }).info('inside');
    });
    expect(currentRequestId()).toBeUndefined();
    expect(lines).toEqual([
      { level: 30, msg: 'outside' },
      { level: 30, component: 'x', reqId: 'req-1', msg: 'inside' },
    ]);
  });
});

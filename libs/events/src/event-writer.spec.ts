import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from './event-types';
import { fitPayload } from './event-writer';

describe('fitPayload', () => {
  it('leaves a payload under the limit as it is', () => {
    const data = { subject: 'Hello', uid: 7 };
    expect(fitPayload({ ...data })).toEqual(data);
  });

  it('cuts the longest strings until the payload fits under 20 KB', () => {
    const data = fitPayload({ subject: 'x'.repeat(50_000), from: 'y'.repeat(30_000), uid: 1, to: 'short' });
    expect(Buffer.byteLength(JSON.stringify({ type: 'inbound.received', timestamp: new Date().toISOString(), data }))).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(data.to).toBe('short');
    expect(data.uid).toBe(1);
    expect((data.subject as string).startsWith('xxx')).toBe(true);
  });
});

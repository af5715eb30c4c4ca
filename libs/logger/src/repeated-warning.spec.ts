import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { repeatedWarning } from './repeated-warning';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ base: undefined, timestamp: false }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('repeatedWarning', () => {
  it('logs a cause once, then at most once per interval with how many were left out, without a stack', () => {
    const { logger, lines } = capture();
    let clock = 0;
    const warn = repeatedWarning(logger, 'delivery worker connection error', 30_000, () => clock);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (; clock < 65_000; clock += 1_000) warn(refused); // a minute of one attempt a second
    expect(lines).toEqual([
      { level: 40, cause: 'connect ECONNREFUSED 127.0.0.1:6379', msg: 'delivery worker connection error' },
      { level: 40, cause: 'connect ECONNREFUSED 127.0.0.1:6379', repeated: 30, seconds: 30, msg: 'delivery worker connection error' },
      { level: 40, cause: 'connect ECONNREFUSED 127.0.0.1:6379', repeated: 30, seconds: 30, msg: 'delivery worker connection error' },
    ]);
  });

  it('logs a different cause at once', () => {
    const { logger, lines } = capture();
    const warn = repeatedWarning(logger, 'lost Redis', 30_000, () => 0);
    warn(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    warn(new Error('READONLY You can not write against a read only replica.'));
    warn(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(lines.map((l) => l.cause)).toEqual(['connect ECONNREFUSED', 'READONLY You can not write against a read only replica.']);
  });
});

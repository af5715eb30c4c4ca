import { describe, expect, it } from 'vitest';
import { DeliveryPlanner, type MessageToPlan } from './delivery-planner';
import { deliverBatchJobId, deliverJobId } from './jobs';

const recipient = (domain: string, suppressed = false) => ({ domain, suppressed }) as MessageToPlan['recipients'][number];
const message = (id: string, domains: string[], extra: Partial<MessageToPlan> = {}): MessageToPlan => ({
  id,
  stream: 'transactional',
  sendAt: null,
  recipients: domains.map((d) => recipient(d)),
  ...extra,
});

describe('DeliveryPlanner.forNewMessages', () => {
  it('gives a lone message one deliver job per recipient domain, without runs', () => {
    const m = message('m1', ['a.test', 'b.test', 'a.test']);
    expect(DeliveryPlanner.forNewMessages([m], 50)).toEqual([
      { name: 'deliver', payload: { messageId: 'm1', domain: 'a.test', attempt: 0 }, priority: 1 },
      { name: 'deliver', payload: { messageId: 'm1', domain: 'b.test', attempt: 0 }, priority: 1 },
    ]);
    expect(m.recipients.every((r) => r.runId === undefined)).toBe(true);
  });

  it('skips suppressed recipients and delays scheduled messages, which never join a run', () => {
    const now = 1_000_000;
    const later = message('m1', ['a.test'], { sendAt: new Date(now + 5_000), stream: 'broadcast' });
    const suppressed = message('m2', [], { recipients: [recipient('a.test', true)] });
    expect(DeliveryPlanner.forNewMessages([later, suppressed], 50, now)).toEqual([
      { name: 'deliver', payload: { messageId: 'm1', domain: 'a.test', attempt: 0 }, priority: 10, delay: 5_000 },
    ]);
  });

  it('cuts messages to one domain and stream into even runs named by their first message, and marks the recipients', () => {
    const messages = ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => message(id, ['a.test', 'b.test']));
    messages[4]!.stream = 'broadcast';
    const jobs = DeliveryPlanner.forNewMessages(messages, 3);
    expect(jobs).toEqual([
      { name: 'deliver-batch', payload: { runId: 'm1', messageIds: ['m1', 'm2'], domain: 'a.test' }, priority: 1 },
      { name: 'deliver-batch', payload: { runId: 'm3', messageIds: ['m3', 'm4'], domain: 'a.test' }, priority: 1 },
      { name: 'deliver-batch', payload: { runId: 'm1', messageIds: ['m1', 'm2'], domain: 'b.test' }, priority: 1 },
      { name: 'deliver-batch', payload: { runId: 'm3', messageIds: ['m3', 'm4'], domain: 'b.test' }, priority: 1 },
      { name: 'deliver', payload: { messageId: 'm5', domain: 'a.test', attempt: 0 }, priority: 10 },
      { name: 'deliver', payload: { messageId: 'm5', domain: 'b.test', attempt: 0 }, priority: 10 },
    ]);
    expect(messages.map((m) => m.recipients.map((r) => r.runId))).toEqual([['m1', 'm1'], ['m1', 'm1'], ['m3', 'm3'], ['m3', 'm3'], [undefined, undefined]]);
  });
});

describe('DeliveryPlanner.forStoredWork', () => {
  it('puts work back under the job ids it was first planned with', () => {
    const messages = ['m1', 'm2'].map((id) => message(id, ['a.test']));
    const first = DeliveryPlanner.forNewMessages([...messages, message('m3', ['b.test'])], 50);
    const again = DeliveryPlanner.forStoredWork([
      { messageId: 'm1', domain: 'a.test', attempts: 0, runId: 'm1', stream: 'transactional' },
      { messageId: 'm3', domain: 'b.test', attempts: 0, runId: null, stream: 'transactional' },
      { messageId: 'm2', domain: 'a.test', attempts: 0, runId: 'm1', stream: 'transactional' },
    ]);
    const ids = (jobs: typeof first) => jobs.map((j) => (j.name === 'deliver' ? deliverJobId(j.payload) : deliverBatchJobId(j.payload))).sort();
    expect(ids(again)).toEqual(ids(first));
    expect(again).toEqual([
      { name: 'deliver', payload: { messageId: 'm3', domain: 'b.test', attempt: 0 }, priority: 1 },
      { name: 'deliver-batch', payload: { runId: 'm1', messageIds: ['m1', 'm2'], domain: 'a.test' }, priority: 1 },
    ]);
  });

  it('gives retries single jobs with their attempt and the stream priority', () => {
    expect(DeliveryPlanner.forStoredWork([{ messageId: 'm1', domain: 'a.test', attempts: 3, runId: null, stream: 'broadcast' }])).toEqual([
      { name: 'deliver', payload: { messageId: 'm1', domain: 'a.test', attempt: 3 }, priority: 10 },
    ]);
  });
});

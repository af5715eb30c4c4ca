import { PRIORITY } from './jobs';
import type { Enqueue } from './queues';

type Stream = keyof typeof PRIORITY;

/** The jobs the planner makes: delivery work only. */
export type DeliveryEnqueue = Enqueue<'deliver'> | Enqueue<'deliver-batch'>;

/** A message about to be stored, as far as planning its delivery needs to know it. */
export interface MessageToPlan {
  id: string;
  stream: Stream;
  sendAt: Date | null;
  recipients: Array<{ domain: string; suppressed: boolean; runId?: string | null }>;
}

/** A stored (message, domain) transaction that should be on the queue and may not be. */
export interface WorkToPlan {
  messageId: string;
  domain: string;
  attempts: number;
  /** Set for queued work of a run: it goes back on the queue as that run. */
  runId: string | null;
  stream: Stream;
}

/**
 * The one place that decides which delivery jobs carry which work, so that work planned when a
 * message is accepted and the same work put back later (the sweeper, a dead worker's claims)
 * get the same job ids and priorities, and BullMQ's job-id dedupe holds.
 */
export const DeliveryPlanner = {
  /**
   * The delivery jobs for messages about to be stored: one per (message, domain), except that
   * messages accepted together for the same domain and stream, to go now, share jobs of up to
   * `batchSize` (runs), so a campaign batch costs the queue a job per run, not per message. Runs
   * are cut evenly, so a batch still spreads over as many connections as it can use. Each
   * recipient in a run is marked with it (runId), so the sweeper can re-enqueue the run under
   * its own job id.
   */
  forNewMessages(messages: MessageToPlan[], batchSize: number, now = Date.now()): DeliveryEnqueue[] {
    const jobs: DeliveryEnqueue[] = [];
    const runs = new Map<string, { domain: string; stream: Stream; messages: MessageToPlan[] }>();
    for (const message of messages) {
      const domains = new Set(message.recipients.filter((r) => !r.suppressed).map((r) => r.domain));
      const delay = message.sendAt ? Math.max(0, message.sendAt.getTime() - now) : 0;
      for (const domain of domains) {
        if (delay > 0) {
          jobs.push({ name: 'deliver', payload: { messageId: message.id, domain, attempt: 0 }, priority: PRIORITY[message.stream], delay });
          continue;
        }
        const key = `${message.stream}|${domain}`;
        const run = runs.get(key);
        if (run) run.messages.push(message);
        else runs.set(key, { domain, stream: message.stream, messages: [message] });
      }
    }
    for (const { domain, stream, messages: list } of runs.values()) {
      const per = Math.ceil(list.length / Math.ceil(list.length / batchSize));
      for (let at = 0; at < list.length; at += per) {
        const run = list.slice(at, at + per);
        if (run.length === 1) {
          jobs.push({ name: 'deliver', payload: { messageId: run[0]!.id, domain, attempt: 0 }, priority: PRIORITY[stream] });
          continue;
        }
        const runId = run[0]!.id;
        for (const message of run) for (const r of message.recipients) if (r.domain === domain) r.runId = runId;
        jobs.push({ name: 'deliver-batch', payload: { runId, messageIds: run.map((m) => m.id), domain }, priority: PRIORITY[stream] });
      }
    }
    return jobs;
  },

  /** Single jobs for retries and lost claims; queued work of a run as that run, once per run. */
  forStoredWork(due: WorkToPlan[]): DeliveryEnqueue[] {
    const jobs: DeliveryEnqueue[] = [];
    const runs = new Map<string, Enqueue<'deliver-batch'>>();
    for (const work of due) {
      if (!work.runId) {
        jobs.push({ name: 'deliver', payload: { messageId: work.messageId, domain: work.domain, attempt: work.attempts }, priority: PRIORITY[work.stream] });
        continue;
      }
      const key = `${work.runId}|${work.domain}`;
      const run = runs.get(key);
      if (run) run.payload.messageIds.push(work.messageId);
      else runs.set(key, { name: 'deliver-batch', payload: { runId: work.runId, messageIds: [work.messageId], domain: work.domain }, priority: PRIORITY[work.stream] });
    }
    return [...jobs, ...runs.values()];
  },
};

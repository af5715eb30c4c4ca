import type { Client } from 'pg';
import type { BuiltProcesses } from './built-process';
import type { SmtpSink } from './smtp-sink';

/** How many recipients of these messages are in each status, read from the database. */
export async function recipientStatuses(pg: Client, ids: string[]): Promise<Record<string, number>> {
  const { rows } = await pg.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM recipients WHERE message_id = ANY($1::uuid[]) GROUP BY status', [ids]);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * Waits until every one of these (single-recipient) messages is delivered; on timeout throws
 * with the statuses and the output of the processes that were to deliver them.
 */
export async function allDelivered(pg: Client, ids: string[], timeoutMs: number, processes: BuiltProcesses, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await recipientStatuses(pg, ids)).delivered === ids.length) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`not all delivered: ${JSON.stringify(await recipientStatuses(pg, ids))}\n${processes.tails()}`);
}

/** Milliseconds from now until the sink takes one more message. */
export async function timeToNextArrival(sink: SmtpSink, timeoutMs = 120_000): Promise<number> {
  const started = Date.now();
  await sink.waitFor(sink.count + 1, timeoutMs);
  return Date.now() - started;
}

/** How many times the sink received each recipient address that starts with `tag`. */
export function arrivals(sink: SmtpSink, tag: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.to) if (to.startsWith(tag)) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

/** How many addresses of `arrivals` came more than once. */
export function repeatedArrivals(counts: Map<string, number>): number {
  return [...counts.values()].filter((n) => n > 1).length;
}

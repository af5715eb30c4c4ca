import type { SMTPServer } from 'smtp-server';

/** DATA handlers of a listener still running (storing a message), and who waits for none. */
interface InFlight {
  count: number;
  waiters: Array<() => void>;
}

const inFlight = new WeakMap<SMTPServer, InFlight>();

/** Longest closeSmtp waits for a store still running after its client was cut off. */
const STORE_WAIT_MS = 10_000;

/** Binds an smtp-server instance; rejects (port taken, say) instead of emitting an error later. */
export function listenSmtp(server: SMTPServer, port: number, address: string): Promise<void> {
  track(server);
  return new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, address, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Stops accepting, lets transactions in flight finish (up to closeTimeout), then 421s the rest.
 * Resolves only once no DATA handler is still storing a message (one whose client was cut off
 * at closeTimeout may still be at it, for up to STORE_WAIT_MS): the database pool closes after this.
 */
export async function closeSmtp(server: SMTPServer): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const state = inFlight.get(server);
  if (!state?.count) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STORE_WAIT_MS);
    state.waiters.push(() => (clearTimeout(timer), resolve()));
  });
}

/** Counts DATA handlers in flight: smtp-server calls `server.onData` for each message. */
function track(server: SMTPServer): void {
  if (inFlight.has(server)) return;
  const state: InFlight = { count: 0, waiters: [] };
  inFlight.set(server, state);
  const onData = server.onData.bind(server);
  server.onData = (stream, session, callback) => {
    state.count++;
    let settled = false;
    onData(stream, session, (...args: Parameters<typeof callback>) => {
      if (!settled) {
        settled = true;
        if (--state.count === 0) for (const wake of state.waiters.splice(0)) wake();
      }
      callback(...args);
    });
  };
}

import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (for processes that need a port number up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Free ports for every mail listener of `npm start` (SMTP inbound and submission, IMAP, POP3), as env. */
export async function mailListenerPorts(): Promise<Record<string, string>> {
  const ports: Record<string, string> = {};
  for (const name of ['SMTP_INBOUND_PORT', 'SMTP_SUBMISSION_PORT', 'SMTPS_SUBMISSION_PORT', 'IMAP_PORT', 'IMAPS_PORT', 'POP3_PORT', 'POP3S_PORT']) {
    ports[name] = String(await freePort());
  }
  return ports;
}

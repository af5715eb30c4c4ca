import type { SMTPServer } from 'smtp-server';

/** Binds an smtp-server instance; rejects (port taken, say) instead of emitting an error later. */
export function listenSmtp(server: SMTPServer, port: number, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, address, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, lets transactions in flight finish (up to closeTimeout), then 421s the rest. */
export function closeSmtp(server: SMTPServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

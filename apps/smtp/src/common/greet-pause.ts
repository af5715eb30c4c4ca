import type { SMTPServer } from 'smtp-server';

/** smtp-server's connection, as far as the greeting is concerned. */
interface Connection {
  _server: { options: { maxClients?: number }; connections: Set<unknown> };
  name: string;
  init(): void;
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  send(code: number, data: string, context: false): void;
}

/**
 * Makes the listener wait `pauseMs` before each greeting (SMTP_GREET_PAUSE_MS); a client that
 * talks first is refused with smtp-server's "You talk too soon". smtp-server itself always waits
 * 100 ms and has no option for it. Every new connection goes through the server's `connections`
 * set just before its init, so each one gets an init with the same steps and the listener's own
 * pause: the event handlers, the listener-wide connection cap, then the greeting.
 */
export function installGreetPause(server: SMTPServer, pauseMs: number): void {
  const connections = (server as unknown as { connections: Set<Connection> }).connections;
  const add = connections.add.bind(connections);
  connections.add = (connection: Connection) => {
    connection.init = function init(this: Connection): void {
      this._setListeners(() => {
        const { maxClients } = this._server.options;
        if (maxClients && this._server.connections.size > maxClients) return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        setTimeout(() => this.connectionReady(), pauseMs).unref();
      });
    };
    return add(connection);
  };
}

import type { Server } from 'node:http';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** How often idle keep-alive connections are closed while the server drains. */
const IDLE_SWEEP_MS = 100;

/**
 * First phase of shutdown (before the workers drain and long before the pools close): the HTTP
 * listener stops accepting connections, and keep-alive connections are closed as soon as they
 * fall idle, so a stopping process takes no new requests while those in flight are finished and
 * answered. Without the sweep, a client that kept its connection open after its last request
 * held the server open for the keep-alive timeout (72 s), well past the grace period.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleDestroy(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    server.close();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
  }
}

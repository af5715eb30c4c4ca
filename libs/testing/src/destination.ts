import { TestDnsServer } from './dns-server';
import { SmtpSink, type SinkBehaviour } from './smtp-sink';

/** A receiving domain for delivery tests: its MX (mx.<domain>) points at an SMTP sink on `address`. */
export interface TestDestination {
  dns: TestDnsServer;
  sink: SmtpSink;
  /** What a process needs to deliver there: the test DNS server and the sink's port. */
  env: { DNS_SERVERS: string; OUTBOUND_SMTP_PORT: string };
  close(): Promise<void>;
}

export async function startDestination(domain: string, address: string, behaviour?: SinkBehaviour): Promise<TestDestination> {
  const dns = await TestDnsServer.start();
  const sink = await SmtpSink.start({ host: address, behaviour });
  dns.add({ type: 'MX', name: domain, exchange: `mx.${domain}`, priority: 10 });
  dns.add({ type: 'A', name: `mx.${domain}`, address });
  return {
    dns,
    sink,
    env: { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port) },
    async close() {
      await sink.close();
      await dns.close();
    },
  };
}

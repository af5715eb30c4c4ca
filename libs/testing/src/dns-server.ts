import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as packet from 'dns-packet';

export type TestRecord =
  | { type: 'A'; name: string; address: string; ttl?: number }
  | { type: 'AAAA'; name: string; address: string; ttl?: number }
  | { type: 'MX'; name: string; exchange: string; priority: number; ttl?: number }
  | { type: 'TXT'; name: string; value: string | string[]; ttl?: number }
  /** A reverse name: `name` is the in-addr.arpa / ip6.arpa form (`4.3.2.1.in-addr.arpa`). */
  | { type: 'PTR'; name: string; host: string; ttl?: number }
  /** The zone apex: negative answers for names at or under it carry it, so resolvers cache them for min(ttl, minimum). */
  | { type: 'SOA'; name: string; minimum: number; ttl?: number };

/** How the server misbehaves for a name: SERVFAIL, REFUSED, or no answer at all (a timeout for the client). */
export type TestDnsFailure = 'servfail' | 'refused' | 'drop';

/**
 * An authoritative DNS server on loopback for tests: answers from the records it is given
 * (changeable while it runs), NXDOMAIN for unknown names, NOERROR with no answers for known
 * names without the asked type. Point Mailroom at it with DNS_SERVERS=127.0.0.1:<port>.
 * A null MX is `{ type: 'MX', exchange: '.', priority: 0 }`. It also listens on TCP on the same
 * port, for clients retrying a truncated answer (see `truncate`).
 */
export class TestDnsServer {
  private records: TestRecord[] = [];
  private readonly failures = new Map<string, TestDnsFailure>();
  private socket: Socket | null = null;
  private tcp: Server | null = null;
  private readonly tcpClients = new Set<TcpSocket>();
  port = 0;
  /** Every question received; `transport` is set only for questions that came over TCP. */
  readonly queries: Array<{ name: string; type: string; transport?: 'tcp' }> = [];
  /** When set, UDP answers come back empty with the TC bit, so clients must ask again over TCP. */
  truncate = false;

  static async start(records: TestRecord[] = []): Promise<TestDnsServer> {
    const server = new TestDnsServer();
    server.set(records);
    await server.listen();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  set(records: TestRecord[]): void {
    this.records = records.map((r) => ({ ...r, name: r.name.toLowerCase().replace(/\.$/, '') }));
  }

  add(...records: TestRecord[]): void {
    this.set([...this.records, ...records]);
  }

  /** Misbehave for one name, or for every name with '*'; `fail(name, null)` makes it answer again. */
  fail(name: string, failure: TestDnsFailure | null): void {
    const key = name.toLowerCase().replace(/\.$/, '');
    if (failure) this.failures.set(key, failure);
    else this.failures.delete(key);
  }

  /** Questions received so far for a name (and type), to check what a client's cache saved. */
  count(name: string, type?: string): number {
    return this.queries.filter((q) => q.name === name.toLowerCase() && (!type || q.type === type)).length;
  }

  private answer(message: Buffer, transport: 'udp' | 'tcp'): Buffer | null {
    let query: packet.Packet;
    try {
      query = packet.decode(message);
    } catch {
      return null;
    }
    const question = query.questions?.[0];
    if (!question) return null;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    this.queries.push(transport === 'tcp' ? { name, type: question.type, transport } : { name, type: question.type });
    const failure = this.failures.get(name) ?? this.failures.get('*');
    if (failure === 'drop') return null;
    const known = this.records.filter((r) => r.name === name);
    const truncated = transport === 'udp' && this.truncate;
    const answers = truncated ? [] : known.filter((r) => r.type === question.type).map((r) => toAnswer(r));
    const rcode = failure === 'servfail' ? 2 : failure === 'refused' ? 5 : known.length ? 0 : 3; // 3 = NXDOMAIN
    const soa = this.records.find((r) => r.type === 'SOA' && (name === r.name || name.endsWith(`.${r.name}`)));
    return packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | (truncated ? packet.TRUNCATED_RESPONSE : 0) | rcode,
      questions: query.questions,
      answers,
      authorities: !answers.length && soa && !truncated && rcode !== 2 && rcode !== 5 ? [toAnswer(soa)] : [],
    });
  }

  private async listen(): Promise<void> {
    // UDP and TCP on one port number: TCP first (port 0), then UDP on the same number, retried on the rare clash.
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer((client) => this.serveTcp(client));
      await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
      const address = tcp.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const socket = createSocket('udp4');
      socket.on('message', (message, remote) => this.serveUdp(socket, message, remote));
      const bound = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) {
        this.tcp = tcp;
        this.socket = socket;
        this.port = port;
        return;
      }
      socket.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (attempt > 10) throw new Error('TestDnsServer: no port free for both UDP and TCP');
    }
  }

  private serveUdp(socket: Socket, message: Buffer, remote: RemoteInfo): void {
    const response = this.answer(message, 'udp');
    if (response) socket.send(response, remote.port, remote.address);
  }

  private serveTcp(client: TcpSocket): void {
    this.tcpClients.add(client);
    client.on('close', () => this.tcpClients.delete(client));
    client.on('error', () => client.destroy());
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const response = this.answer(buffered.subarray(2, 2 + length), 'tcp');
        buffered = buffered.subarray(2 + length);
        if (response) client.write(Buffer.concat([Buffer.from([response.length >> 8, response.length & 0xff]), response]));
      }
    });
  }

  async close(): Promise<void> {
    for (const client of this.tcpClients) client.destroy();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }
}

function toAnswer(record: TestRecord): packet.Answer {
  const ttl = record.ttl ?? 300;
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return { type: record.type, name: record.name, ttl, data: record.address };
    case 'MX':
      return { type: 'MX', name: record.name, ttl, data: { preference: record.priority, exchange: record.exchange } };
    case 'TXT': {
      const value = Array.isArray(record.value) ? record.value : chunk(record.value);
      return { type: 'TXT', name: record.name, ttl, data: value };
    }
    case 'PTR':
      return { type: 'PTR', name: record.name, ttl, data: record.host };
    case 'SOA':
      return {
        type: 'SOA',
        name: record.name,
        ttl,
        data: { mname: `ns.${record.name}`, rname: `hostmaster.${record.name}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: record.minimum },
      };
  }
}

/** TXT character-strings hold at most 255 bytes; long values (DKIM keys) are split as DNS hosts do. */
function chunk(value: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts.length ? parts : [''];
}

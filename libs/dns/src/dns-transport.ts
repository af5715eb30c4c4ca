import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP, connect as connectTcp } from 'node:net';
import * as packet from 'dns-packet';

export interface DnsServerAddress {
  host: string;
  port: number;
}

/** "ip", "ip:port", "[ipv6]:port" or a bare IPv6 address, as DNS_SERVERS and dns.getServers() write them. */
export function parseDnsServer(spec: string): DnsServerAddress {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(spec);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (isIP(spec)) return { host: spec, port: 53 };
  const hostPort = /^([^:]+):(\d+)$/.exec(spec);
  if (hostPort && isIP(hostPort[1]!)) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  throw new Error(`not a DNS server address: ${JSON.stringify(spec)}`);
}

/** Response codes in the low 4 bits of the header flags (RFC 1035 4.1.1). */
export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export function rcodeOf(response: packet.DecodedPacket): number {
  return (response.flags ?? 0) & 0x0f;
}

/**
 * One question to one server: UDP first (EDNS0, 1232-byte payload as DNS Flag Day 2020
 * recommends, so that big MX sets rarely truncate), TCP when the answer comes back truncated.
 * A fresh socket per query gives a random source port, and `connect` makes the kernel drop
 * datagrams from anyone but the server — both against spoofed answers — and reports
 * ICMP port-unreachable as ECONNREFUSED at once instead of waiting for the timeout.
 */
export async function queryDns(
  server: DnsServerAddress,
  name: string,
  type: packet.RecordType,
  timeoutMs: number,
): Promise<packet.DecodedPacket> {
  const id = randomInt(0, 65536);
  const query: packet.Packet = {
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  };
  const response = await queryUdp(server, packet.encode(query), timeoutMs, (r) => matches(r, id, name, type));
  if (!response.flag_tc) return response;
  return queryTcp(server, packet.streamEncode(query), timeoutMs, (r) => matches(r, id, name, type));
}

function matches(response: packet.DecodedPacket, id: number, name: string, type: string): boolean {
  const question = response.questions?.[0];
  return (
    response.type === 'response' &&
    response.id === id &&
    !!question &&
    question.type === type &&
    question.name.toLowerCase() === name.toLowerCase()
  );
}

/** One question to one server over one transport; `accept` tells the answer to it from others. */
type Exchange = (server: DnsServerAddress, message: Buffer, timeoutMs: number, accept: (response: packet.DecodedPacket) => boolean) => Promise<packet.DecodedPacket>;

const queryUdp: Exchange = (server, message, timeoutMs, accept) =>
  new Promise((resolve, reject) => {
    const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    const finish = settleOnce(resolve, reject, timeoutMs, `no answer from ${server.host}:${server.port} within ${timeoutMs} ms`, () => {
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      socket.close();
    });
    socket.on('error', (error) => finish(error));
    socket.on('message', (data) => {
      let response: packet.DecodedPacket;
      try {
        response = packet.decode(data);
      } catch {
        return; // garbage is ignored like a spoofed answer: the real one may still come
      }
      if (accept(response)) finish(null, response);
    });
    socket.connect(server.port, server.host, () => socket.send(message));
  });

const queryTcp: Exchange = (server, message, timeoutMs, accept) =>
  new Promise((resolve, reject) => {
    const socket = connectTcp({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const finish = settleOnce(resolve, reject, timeoutMs, `no TCP answer from ${server.host}:${server.port} within ${timeoutMs} ms`, () => socket.destroy());
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => socket.write(message));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      let response: packet.DecodedPacket;
      try {
        response = packet.decode(received.subarray(2, 2 + received.readUInt16BE(0)));
      } catch (error) {
        return finish(error as Error);
      }
      if (accept(response)) finish(null, response);
      else finish(dnsError('EBADRESP', `unexpected TCP answer from ${server.host}:${server.port}`));
    });
    socket.on('end', () => finish(dnsError('ECONNRESET', `${server.host}:${server.port} closed the TCP connection`)));
  });

/**
 * The one way a query ends: the first of an answer, an error or the timeout (ETIMEOUT) settles
 * the promise and closes the socket; whatever comes after is ignored.
 */
function settleOnce(
  resolve: (response: packet.DecodedPacket) => void,
  reject: (error: Error) => void,
  timeoutMs: number,
  timeoutMessage: string,
  close: () => void,
): (error: Error | null, response?: packet.DecodedPacket) => void {
  let done = false;
  const finish = (error: Error | null, response?: packet.DecodedPacket): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    close();
    if (error) reject(error);
    else resolve(response!);
  };
  const timer = setTimeout(() => finish(dnsError('ETIMEOUT', timeoutMessage)), timeoutMs);
  return finish;
}

function dnsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

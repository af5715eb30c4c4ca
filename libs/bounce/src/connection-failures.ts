import type { BounceCategory, Classification } from './classification';

/**
 * Failures where the server said nothing we could classify: socket and resolver errors from
 * Node, and nodemailer's own codes. All are temporary (SPEC 6: connection failures retry,
 * trying the next MX first); the category only tells stats and the MX fallback apart.
 */
export const CONNECTION_FAILURES: ReadonlyArray<{ readonly codes: readonly string[]; readonly category: BounceCategory; readonly rule: string }> = [
  { rule: 'conn-refused', category: 'connection', codes: ['ECONNREFUSED'] },
  { rule: 'conn-timeout', category: 'connection', codes: ['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ETIMEOUT', 'ECONNECTION'] },
  { rule: 'conn-reset', category: 'connection', codes: ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ESOCKET'] },
  { rule: 'conn-unreachable', category: 'connection', codes: ['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL'] },
  { rule: 'conn-dns', category: 'dns', codes: ['ENOTFOUND', 'EAI_AGAIN', 'ENODATA', 'ESERVFAIL', 'EREFUSED', 'EDNS'] },
  // A failed handshake is not the server demanding TLS; it is a connection that broke.
  { rule: 'conn-tls', category: 'connection', codes: ['ETLS', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO'] },
  { rule: 'conn-greeting', category: 'protocol', codes: ['EGREETING', 'EPROTOCOL'] },
];

/** `classifyConnectionFailure('ECONNREFUSED')` -> deferred / connection. Unknown codes defer too. */
export function classifyConnectionFailure(errorCode: string): Classification {
  const code = errorCode.trim().toUpperCase();
  const row = CONNECTION_FAILURES.find((r) => r.codes.includes(code));
  return row
    ? { outcome: 'deferred', category: row.category, rule: row.rule }
    : { outcome: 'deferred', category: 'connection', rule: 'conn-other' };
}

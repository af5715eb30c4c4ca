import { blocked, deferred, hard, soft, type SmtpPhase, type Verdict } from './classification';

/**
 * One row of the SMTP reply table. Every condition given must hold (AND); a list matches when
 * any of its entries does (OR). The first matching row wins, so order is meaning: specific
 * rows before general ones, and the sender's faults before the recipient's, because a wrong
 * "hard" suppresses a good address for good while a wrong "blocked" only costs one message.
 */
export interface SmtpRule {
  /** Stable: recorded with each attempt and grouped in stats. Do not rename. */
  readonly id: string;
  /** Class of the basic reply code (4xx or 5xx). */
  readonly class?: 4 | 5;
  /** Exact basic reply codes. */
  readonly codes?: readonly number[];
  /** RFC 3463 prefixes, compared per component: `5.7` covers 5.7.1 and 5.7.26; `5.1.1` is not 5.1.10. */
  readonly enhanced?: readonly string[];
  /** Tested against the reply text; always case-insensitive (a unit test checks the flag). */
  readonly text?: RegExp;
  readonly phases?: readonly SmtpPhase[];
  readonly then: Verdict;
  /** For deferrals: the wait to use when the text names none. */
  readonly waitSeconds?: number;
}

// Phrases several rows share. Real replies are from the tests' cases (Gmail, Outlook, Yahoo,
// iCloud, Postfix, Exim, Sendmail, qmail, Exchange).
const BLOCKLIST =
  /spamhaus|barracuda|sorbs|spamcop|proofpoint|\bdnsbl\b|\brbl\b|\bblock ?list|\bblack ?list|deny ?list|listed (at|on|in|by)\b|blocked using|on our block/i;
const REPUTATION =
  /reputation|\bbanned\b|not accepted from this ip|messages from \S+ weren't sent|sender score/i;
const SPAM_CONTENT =
  /spam|unsolicited|\bjunk\b|\bvirus|malware|phish|potential security issue|content (was |is )?(rejected|filtered|blocked)|content polic/i;
const AUTH_DMARC = /dmarc|unauthenticated/i;
const AUTH_SPF_DKIM = /\bspf\b|\bdkim\b/i;
const TLS_REQUIRED = /starttls|\btls\b.{0,20}(required|needed|mandatory)|encryption (is )?(required|needed)/i;
const TOO_LARGE =
  /too (big|large)|size (limit|exceed)|exceeds? (the )?(fixed |maximum |max |allowed )*(message |mail )?size|message length exceeds/i;
const MAILBOX_FULL =
  /(mailbox|inbox|mail box|account|user) (is |has )?(full|over ?quota|exceeded)|over ?quota|quota (exceeded|full)|exceeds? (its |the )?(storage|quota|disk)|storage (quota|allocation|space) (exceeded|full)|out of (storage|disk space)/i;
const MAILBOX_DISABLED =
  /(account|mailbox|user|address) (is |has been )?(disabled|deactivated|inactive|suspended|closed|expired|locked)|no longer (active|in use|available|valid)/i;
const MAILBOX_UNKNOWN =
  /user unknown|unknown (user|recipient|mailbox|address|local part)|no such (user|mailbox|recipient|address|account|person)|(does not|doesn't|doesnt|not) exist|recipient address rejected|recipient (not found|rejected)|recipientnotfound|recipnotfound|mailbox (not found|unavailable|unknown|name not allowed)|invalid (recipient|mailbox|address|user)|not (a )?valid (user|mailbox|recipient|address)|no mailbox|user (not found|doesn't have)|doesn't have an? \S+ account|address (unknown|not found)|bad destination mailbox|not listed in (the )?(directory|domino)|unknown or illegal alias/i;
const BAD_DOMAIN =
  /domain (name )?(not found|does not exist|doesn't exist|is invalid|not valid)|no such domain|unknown domain|host (or domain name )?not found|null mx|does not accept mail/i;
const SENDER_OR_CLIENT_REJECTED =
  /sender (address )?(rejected|denied|unknown|not allowed|verify failed)|helo command rejected|client host rejected|sender denied/i;
const ROUTING = /unrouteable|unroutable|no route|routing (loop|failed)|mail loop|loop detected|hop count|too many hops|\bhops\b/i;
const POLICY =
  /not allowed|not permitted|not authori[sz]ed|relay(ing)? (access )?denied|access denied|polic(y|ies)|administrative prohibition|prohibited|\bblocked\b|refused/i;

// Servers that state no wait are given a little more than the usual greylisting delay
// (postgrey's default is 300 s), so the first retry does not land inside the window.
const GREYLIST_WAIT_SECONDS = 360;

export const SMTP_RULES: readonly SmtpRule[] = [
  // ---- 4xx: always temporary (RFC 5321 4.2.1). Rows only name the reason and the wait.
  { id: 'temp-greylisted', class: 4, text: /gr[ae]y[ -]?list/i, then: deferred('greylisted'), waitSeconds: GREYLIST_WAIT_SECONDS },
  { id: 'temp-blocklisted', class: 4, text: BLOCKLIST, then: deferred('reputation') },
  { id: 'temp-reputation', class: 4, text: REPUTATION, then: deferred('reputation') },
  { id: 'temp-unsolicited', class: 4, text: SPAM_CONTENT, then: deferred('reputation') },
  { id: 'temp-dmarc', class: 4, text: AUTH_DMARC, then: deferred('dmarc') },
  { id: 'temp-dmarc-code', class: 4, enhanced: ['4.7.26', '4.7.32'], then: deferred('dmarc') },
  { id: 'temp-authentication', class: 4, text: AUTH_SPF_DKIM, then: deferred('authentication') },
  { id: 'temp-authentication-code', class: 4, enhanced: ['4.7.27', '4.7.30'], then: deferred('authentication') },
  { id: 'temp-rate-code', class: 4, enhanced: ['4.7.28'], then: deferred('rate_limited') },
  {
    id: 'temp-rate-limited',
    class: 4,
    text: /rate[- ]limit|too many|volume|throttl|\brate\b|slow down|server busy|limit exceeded|exceeded the (connection|message|sending|recipient)/i,
    then: deferred('rate_limited'),
  },
  { id: 'temp-mailbox-full-code', class: 4, enhanced: ['4.2.2'], then: deferred('mailbox_full') },
  { id: 'temp-mailbox-full', class: 4, text: MAILBOX_FULL, then: deferred('mailbox_full') },
  { id: 'temp-tls-required', class: 4, text: TLS_REQUIRED, then: deferred('tls_required') },
  { id: 'temp-dns-code', class: 4, enhanced: ['4.1.8', '4.4.3'], then: deferred('dns') },
  {
    id: 'temp-dns',
    class: 4,
    text: /domain not found|host not found|\bdns\b|name (service|server|lookup)|cannot find your (hostname|reverse)|reverse (hostname|lookup)|\bptr\b|resolv/i,
    then: deferred('dns'),
  },
  { id: 'temp-server-code', class: 4, enhanced: ['4.3'], then: deferred('server_error') },
  {
    id: 'temp-server',
    class: 4,
    text: /insufficient (system )?(storage|disk)|local error|internal (server )?error|system (problem|error)|temporar(il)?y? (local |system )?(problem|failure|unavailable)/i,
    then: deferred('server_error'),
  },
  { id: 'temp-connection-code', class: 4, enhanced: ['4.4'], then: deferred('connection') },
  { id: 'temp-mailbox-code', class: 4, enhanced: ['4.1', '4.2'], then: deferred('mailbox_unknown') },
  { id: 'temp-policy-code', class: 4, enhanced: ['4.7'], then: deferred('policy') },
  { id: 'temp-default', class: 4, then: deferred('other') },

  // ---- 5xx, the sender's fault first: blocked, never suppresses the recipient.
  { id: 'dmarc-code', class: 5, enhanced: ['5.7.26', '5.7.32', '5.7.509', '5.7.515'], then: blocked('dmarc') },
  { id: 'dmarc', class: 5, text: AUTH_DMARC, then: blocked('dmarc') },
  { id: 'authentication-code', class: 5, enhanced: ['5.7.27', '5.7.30'], then: blocked('authentication') },
  { id: 'authentication', class: 5, text: AUTH_SPF_DKIM, then: blocked('authentication') },
  { id: 'blocklisted', class: 5, text: BLOCKLIST, then: blocked('reputation') },
  { id: 'reputation', class: 5, text: REPUTATION, then: blocked('reputation') },
  { id: 'reputation-code', class: 5, enhanced: ['5.7.606', '5.7.708', '5.7.750'], then: blocked('reputation') },
  { id: 'spam-content', class: 5, text: SPAM_CONTENT, then: blocked('spam_content') },
  { id: 'tls-required-code', class: 5, enhanced: ['5.7.10', '5.7.11'], then: blocked('tls_required') },
  { id: 'tls-required', class: 5, text: TLS_REQUIRED, then: blocked('tls_required') },
  { id: 'sender-rejected-code', class: 5, enhanced: ['5.1.7', '5.1.8'], then: blocked('policy') },
  // Postfix delays sender and client checks to RCPT, so these come before the mailbox rows.
  { id: 'sender-rejected', class: 5, text: SENDER_OR_CLIENT_REJECTED, then: blocked('policy') },
  // Too large will not pass on retry, but the address is good: soft, so not suppressed.
  { id: 'too-large-code', class: 5, enhanced: ['5.3.4', '5.2.3'], then: soft('message_too_large') },
  { id: 'too-large', class: 5, text: TOO_LARGE, then: soft('message_too_large') },
  // Before RCPT a rejection concerns our connection or envelope sender, never the recipient.
  { id: 'before-rcpt', class: 5, phases: ['connect', 'ehlo', 'mail'], then: blocked('policy') },

  // ---- 5xx about the recipient, by enhanced code (more reliable than the wording).
  { id: 'mailbox-full-code', class: 5, enhanced: ['5.2.2'], then: soft('mailbox_full') },
  { id: 'mailbox-disabled-code', class: 5, enhanced: ['5.2.1'], then: hard('mailbox_disabled') },
  { id: 'mailbox-unknown-code', class: 5, enhanced: ['5.1.1', '5.1.10', '5.1.6', '5.1.3'], then: hard('mailbox_unknown') },
  { id: 'bad-domain-code', class: 5, enhanced: ['5.1.2'], then: hard('bad_domain') },
  // Everything else in 5.7 is policy. Even "5.7.1 recipient rejected" stays blocked:
  // the spec puts 5.7.x on the sender's side, and blocked errs towards keeping the address.
  { id: 'policy-code', class: 5, enhanced: ['5.7'], then: blocked('policy') },

  // ---- 5xx about the recipient, by wording (many servers send no enhanced code).
  { id: 'mailbox-full', class: 5, text: MAILBOX_FULL, then: soft('mailbox_full') },
  { id: 'mailbox-disabled', class: 5, text: MAILBOX_DISABLED, then: hard('mailbox_disabled') },
  { id: 'mailbox-unknown', class: 5, text: MAILBOX_UNKNOWN, then: hard('mailbox_unknown') },
  { id: 'bad-domain', class: 5, text: BAD_DOMAIN, then: hard('bad_domain') },
  { id: 'routing', class: 5, text: ROUTING, then: hard('dns') },
  { id: 'policy', class: 5, text: POLICY, then: blocked('policy') },

  // ---- 5xx remaining enhanced classes, then the defaults.
  // 5.4.7: delivery time expired (Exchange's "550 5.4.7 Message expired"): retries ran out, the
  // address may be fine.
  { id: 'expired-code', class: 5, enhanced: ['5.4.7'], then: soft('other') },
  { id: 'routing-code', class: 5, enhanced: ['5.4'], then: hard('dns') },
  // Syntax and sequence errors (5.5.x) are about how we spoke, not about the recipient.
  { id: 'protocol-code', class: 5, enhanced: ['5.5'], then: blocked('protocol') },
  // RFC 5321 defines bare 552 as "exceeded storage allocation": a full mailbox, soft.
  { id: 'storage-552', class: 5, codes: [552], then: soft('mailbox_full') },
  { id: 'perm-default', class: 5, then: hard('other') },
];

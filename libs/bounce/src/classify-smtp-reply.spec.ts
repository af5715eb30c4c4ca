import { describe, expect, it } from 'vitest';
import type { Classification, SmtpPhase } from './classification';
import { classifySmtpReply, hasStatusPrefix, parseSmtpResponse } from './classify-smtp-reply';
import { classifyConnectionFailure } from './connection-failures';
import { SMTP_RULES } from './smtp-rules';

/** `expect` reads `outcome[/bounceType]:category`; `rule` pins the row where it matters. */
interface Case {
  source: string;
  reply: string;
  phase?: SmtpPhase;
  expect: string;
  rule?: string;
  wait?: number;
}

const CASES: Case[] = [
  // Gmail
  {
    source: 'Gmail unknown user',
    reply: [
      '550-5.1.1 The email account that you tried to reach does not exist. Please try',
      "550-5.1.1 double-checking the recipient's email address for typos or",
      '550-5.1.1 unnecessary spaces. For more information, go to',
      '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-b1c4d4c5a1asi1234567a.12 - gsmtp',
    ].join('\n'),
    expect: 'bounced/hard:mailbox_unknown',
    rule: 'mailbox-unknown-code',
  },
  {
    source: 'Gmail unsolicited',
    reply: [
      '550-5.7.1 [203.0.113.9] Our system has detected that this message is',
      '550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,',
      '550-5.7.1 this message has been blocked. For more information, go to',
      '550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError d2e1a72fcca58-7390ab1c2b3si1234567b3a.12 - gsmtp',
    ].join('\n'),
    expect: 'blocked:spam_content',
  },
  {
    source: 'Gmail unusual rate of unsolicited mail',
    reply: [
      '421-4.7.28 [203.0.113.9      15] Our system has detected an unusual rate of',
      '421-4.7.28 unsolicited mail originating from your IP address. To protect our',
      '421-4.7.28 users from spam, mail sent from your IP address has been temporarily',
      '421 4.7.28 rate limited. https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp',
    ].join('\n'),
    expect: 'deferred:reputation',
  },
  {
    source: 'Gmail over quota (temporary)',
    reply: [
      '452-4.2.2 The email account that you tried to reach is over quota. Please direct',
      '452-4.2.2 the recipient to',
      '452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp - gsmtp',
    ].join('\n'),
    expect: 'deferred:mailbox_full',
    rule: 'temp-mailbox-full-code',
  },
  {
    source: 'Gmail over quota (permanent)',
    reply: '552-5.2.2 The email account that you tried to reach is over quota and inactive.\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm - gsmtp',
    expect: 'bounced/soft:mailbox_full',
    rule: 'mailbox-full-code',
  },
  {
    source: 'Gmail disabled account',
    reply: '550-5.2.1 The email account that you tried to reach is disabled. Learn more at\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser - gsmtp',
    expect: 'bounced/hard:mailbox_disabled',
  },
  {
    source: 'Gmail unauthenticated sender',
    reply: [
      '550-5.7.26 This mail has been blocked because the sender is unauthenticated.',
      '550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.',
      '550-5.7.26  Authentication results:',
      '550-5.7.26  DKIM = did not pass',
      '550 5.7.26  SPF [example.com] with ip: [203.0.113.9] = did not pass - gsmtp',
    ].join('\n'),
    expect: 'blocked:dmarc',
    rule: 'dmarc-code',
  },
  {
    source: 'Gmail DMARC policy',
    reply: "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain. - gsmtp",
    expect: 'blocked:dmarc',
  },
  {
    source: 'Gmail temporary DMARC',
    reply: '421-4.7.26 This mail has been rate limited because it is unauthenticated.\n421 4.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp',
    expect: 'deferred:dmarc',
    rule: 'temp-dmarc',
  },
  {
    source: 'Gmail low reputation',
    reply: '421-4.7.0 [203.0.113.9] Our system has detected that this message is suspicious due to the very low reputation of the sending IP address. - gsmtp',
    expect: 'deferred:reputation',
  },
  {
    source: 'Gmail low domain reputation (permanent)',
    reply: '550-5.7.1 This message is likely suspicious due to the very low reputation of the sending domain.\n550 5.7.1 https://support.google.com/mail/answer/188131 - gsmtp',
    expect: 'blocked:reputation',
    rule: 'reputation',
  },
  {
    source: 'Gmail message too large',
    reply: "552-5.3.4 Your message exceeded Google's message size limits. Please visit\n552 5.3.4  https://support.google.com/mail/?p=MaxSizeError - gsmtp",
    expect: 'bounced/soft:message_too_large',
    rule: 'too-large-code',
  },
  {
    source: 'Gmail receiving rate',
    reply: [
      '450-4.2.1 The user you are trying to contact is receiving mail at a rate that',
      '450-4.2.1 prevents additional messages from being delivered. Please resend your',
      '450 4.2.1 message at a later point. https://support.google.com/mail/?p=ReceivingRate - gsmtp',
    ].join('\n'),
    expect: 'deferred:rate_limited',
  },
  {
    source: 'Gmail bad domain',
    reply: "553-5.1.2 We weren't able to find the recipient domain. Please check for any\n553 5.1.2 spelling errors. - gsmtp",
    expect: 'bounced/hard:bad_domain',
    rule: 'bad-domain-code',
  },
  { source: 'Gmail STARTTLS required', reply: '530 5.7.0 Must issue a STARTTLS command first. - gsmtp', phase: 'mail', expect: 'blocked:tls_required' },
  { source: 'Gmail temporary system problem', reply: '421-4.3.0 Temporary System Problem.  Try again later (10). - gsmtp', expect: 'deferred:server_error' },
  {
    source: 'Gmail missing PTR',
    reply: '550-5.7.25 [203.0.113.9] The IP address sending this message does not have a\n550 5.7.25 PTR record setup. - gsmtp',
    expect: 'blocked:policy',
    rule: 'policy-code',
  },
  {
    source: 'Gmail content security',
    reply: '552-5.7.0 This message was blocked because its content presents a potential\n552 5.7.0 security issue. - gsmtp',
    expect: 'blocked:spam_content',
  },

  // Outlook / Office 365
  {
    source: 'Outlook block list S3150',
    reply: "550 5.7.1 Unfortunately, messages from [203.0.113.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM4PEPF00027A6C.eurprd04.prod.outlook.com]",
    expect: 'blocked:reputation',
    rule: 'blocklisted',
  },
  {
    source: 'Office 365 directory-based edge blocking',
    reply: '550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [DB1PEPF000509E8.eurprd03.prod.outlook.com]',
    phase: 'rcpt',
    expect: 'bounced/hard:mailbox_unknown',
    rule: 'mailbox-unknown',
  },
  {
    source: 'Office 365 recipient not found',
    reply: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ghost@contoso.com not found by SMTP address lookup',
    expect: 'bounced/hard:mailbox_unknown',
    rule: 'mailbox-unknown-code',
  },
  {
    source: 'Outlook.com mailbox unavailable',
    reply: '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    expect: 'bounced/hard:mailbox_unknown',
    rule: 'mailbox-unknown',
  },
  {
    source: 'Outlook IP reputation rate limit',
    reply: '421 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775)',
    expect: 'deferred:reputation',
    rule: 'temp-reputation',
  },
  { source: 'Outlook server busy', reply: '451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77714)', expect: 'deferred:rate_limited' },
  {
    source: 'Outlook DMARC reject',
    reply: '550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject.',
    expect: 'blocked:dmarc',
    rule: 'dmarc-code',
  },
  {
    source: 'Exchange quota',
    reply: '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded',
    expect: 'bounced/soft:mailbox_full',
  },
  { source: 'Outlook new IP', reply: '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.', expect: 'blocked:reputation', rule: 'reputation' },
  { source: 'Outlook banned IP', reply: '550 5.7.606 Access denied, banned sending IP [203.0.113.9].', expect: 'blocked:reputation' },
  {
    source: 'Outlook unregistered domains',
    reply: '550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.',
    expect: 'blocked:reputation',
    rule: 'reputation-code',
  },
  { source: 'Outlook too many recipients', reply: '452 4.5.3 Too many recipients (AS780090)', expect: 'deferred:rate_limited' },
  {
    source: 'Exchange group restriction',
    reply: '550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed',
    expect: 'blocked:policy',
  },
  {
    source: 'Exchange relayed spam verdict',
    reply: '550 5.7.350 Remote server returned message detected as spam -> 554 5.7.1 Message rejected as spam',
    expect: 'blocked:spam_content',
  },

  // Yahoo / AOL
  {
    source: 'Yahoo TSS04',
    reply: '421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    expect: 'deferred:rate_limited',
    rule: 'temp-rate-limited',
  },
  { source: 'Yahoo policy', reply: '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', expect: 'blocked:policy' },
  {
    source: 'Yahoo DMARC',
    reply: '550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.',
    expect: 'blocked:dmarc',
    rule: 'dmarc',
  },
  {
    source: 'Yahoo Spamhaus',
    reply: "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.9, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
    phase: 'connect',
    expect: 'blocked:reputation',
  },
  {
    source: 'Yahoo no account',
    reply: "554 delivery error: dd This user doesn't have a yahoo.com account (nobody123@yahoo.com) [0] - mta1234.mail.ir2.yahoo.com",
    expect: 'bounced/hard:mailbox_unknown',
  },
  { source: 'AOL mailbox not found on 552', reply: '552 1 Requested mail action aborted, mailbox not found', expect: 'bounced/hard:mailbox_unknown' },
  {
    source: 'Yahoo TSS09',
    reply: '421 4.7.0 [TSS09] All messages from 203.0.113.9 will be permanently deferred; Retrying will NOT succeed.',
    expect: 'deferred:policy',
    rule: 'temp-policy-code',
  },

  // iCloud
  { source: 'iCloud inactive', reply: '550 5.1.1 <nobody@icloud.com>: inactive email address', expect: 'bounced/hard:mailbox_unknown' },
  {
    source: 'iCloud local policy',
    reply: '554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137',
    expect: 'blocked:policy',
  },
  { source: 'iCloud over quota', reply: '552 5.2.2 <someone@icloud.com>: user is over quota', expect: 'bounced/soft:mailbox_full' },
  { source: 'iCloud Proofpoint', reply: '550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=203.0.113.9', expect: 'blocked:reputation' },
  { source: 'iCloud HM08', reply: '421 4.7.1 [HM08] Message temporarily deferred. Please visit https://support.apple.com/en-us/HT204137', expect: 'deferred:policy' },

  // Postfix
  {
    source: 'Postfix + postgrey',
    reply: '450 4.2.0 <x@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html',
    expect: 'deferred:greylisted',
    wait: 360,
  },
  {
    source: 'Postfix virtual user unknown',
    reply: '550 5.1.1 <x@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
    expect: 'bounced/hard:mailbox_unknown',
  },
  {
    source: 'Postfix zen.spamhaus.org',
    reply: '554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9',
    expect: 'blocked:reputation',
  },
  { source: 'Postfix no PTR (temporary)', reply: '450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.9]', expect: 'deferred:dns', rule: 'temp-dns' },
  { source: 'Postfix relay denied', reply: '554 5.7.1 <x@example.org>: Relay access denied', expect: 'blocked:policy' },
  {
    source: 'Postfix HELO check (answered at RCPT)',
    reply: '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname',
    phase: 'rcpt',
    expect: 'blocked:policy',
    rule: 'sender-rejected',
  },
  { source: 'Postfix size limit', reply: '552 5.3.4 Message size exceeds fixed limit', expect: 'bounced/soft:message_too_large' },
  { source: 'Postfix sender domain', reply: '450 4.1.8 <bounce@example.com>: Sender address rejected: Domain not found', expect: 'deferred:dns', rule: 'temp-dns-code' },
  { source: 'Dovecot LMTP quota', reply: '552 5.2.2 <x@example.org> Quota exceeded (mailbox for user is full)', expect: 'bounced/soft:mailbox_full' },
  { source: 'Greylisting clock wait', reply: '451 4.7.1 Greylisting in action, please come back in 00:05:00', expect: 'deferred:greylisted', wait: 300 },
  {
    source: 'Postfix spam filter at RCPT',
    reply: '550 5.7.1 <x@example.org>: Recipient address rejected: Message rejected as spam',
    expect: 'blocked:spam_content',
  },
  {
    source: 'Postfix sender unknown at MAIL',
    reply: '550 5.1.1 <bounce@example.com>: Sender address rejected: User unknown',
    phase: 'mail',
    expect: 'blocked:policy',
  },

  // Exim
  { source: 'Exim unrouteable', reply: '550 Unrouteable address', expect: 'bounced/hard:dns', rule: 'routing' },
  { source: 'Exim storage', reply: '452 4.3.1 Insufficient system storage', expect: 'deferred:server_error', rule: 'temp-server-code' },
  { source: 'Exim sender verify', reply: '550-Verification failed for <bounce@example.com>\n550 Sender verify failed', phase: 'rcpt', expect: 'blocked:policy' },
  { source: 'Exim local problem', reply: '451 Temporary local problem - please try later', expect: 'deferred:server_error', rule: 'temp-server' },
  { source: 'Exim ACL', reply: '550 Administrative prohibition', expect: 'blocked:policy', rule: 'policy' },
  { source: 'Exim ratelimit', reply: '451 4.7.1 Rate limit exceeded, try again in 10 minutes', expect: 'deferred:rate_limited', wait: 600 },

  // Sendmail
  { source: 'Sendmail user unknown', reply: '550 5.1.1 <x@example.org>... User unknown', expect: 'bounced/hard:mailbox_unknown' },
  {
    source: 'Sendmail sender domain',
    reply: '553 5.1.8 <bounce@example.com>... Domain of sender address bounce@example.com does not exist',
    phase: 'mail',
    expect: 'blocked:policy',
    rule: 'sender-rejected-code',
  },
  { source: 'Sendmail read error', reply: '451 4.4.1 reply: read error from mx.example.org.', expect: 'deferred:connection' },
  { source: 'Sendmail refusal at greeting', reply: '554 5.0.0 Service unavailable', phase: 'connect', expect: 'blocked:policy', rule: 'before-rcpt' },
  { source: 'Sendmail disk space', reply: '452 4.4.5 Insufficient disk space; try again later', expect: 'deferred:server_error' },

  // Waits and less common codes
  { source: 'wait in minutes', reply: '451 4.7.1 Please try again in 5 minutes', expect: 'deferred:policy', wait: 300 },
  { source: 'wait in seconds', reply: '450 4.7.1 Throttled, retry after 300 seconds', expect: 'deferred:rate_limited', wait: 300 },
  { source: 'wait in hours', reply: '421 4.7.0 Too many connections, try again in 2 hours', expect: 'deferred:rate_limited', wait: 7200 },
  { source: 'temporary unknown user', reply: '450 4.1.1 <x@example.org>: Recipient address rejected: unverified address', expect: 'deferred:mailbox_unknown' },
  { source: 'TLS required (temporary)', reply: '454 TLS required for this domain', expect: 'deferred:tls_required' },
  { source: 'plain 421', reply: '421 Service not available, closing transmission channel', expect: 'deferred:other', rule: 'temp-default' },
  { source: 'plain 550', reply: '550 Requested action not taken', expect: 'bounced/hard:other', rule: 'perm-default' },
  { source: 'bare 552', reply: '552 Requested mail action aborted', expect: 'bounced/soft:mailbox_full', rule: 'storage-552' },
  { source: 'SPF fail', reply: '550 5.7.23 The message was rejected because of Sender Policy Framework violation (SPF fail)', expect: 'blocked:authentication' },
  { source: 'Gmail SPF code', reply: '550 5.7.27 Sender address does not pass SPF', expect: 'blocked:authentication', rule: 'authentication-code' },
  { source: 'Gmail DKIM (temporary)', reply: '421 4.7.30 DKIM signature did not verify', expect: 'deferred:authentication' },
  { source: 'protocol error (ours, not the recipient\'s)', reply: '503 5.5.1 Error: need MAIL command', expect: 'blocked:protocol', rule: 'protocol-code' },
  { source: 'Exchange expiry', reply: '550 5.4.7 Message expired', expect: 'bounced/soft:other', rule: 'expired-code' },
  { source: 'routing failure', reply: '554 5.4.4 Unable to route', expect: 'bounced/hard:dns', rule: 'routing-code' },
  { source: 'mail loop', reply: '554 5.6.0 Message exceeded 50 hops, this may indicate a mail loop', expect: 'bounced/hard:dns', rule: 'routing' },
  { source: 'domain text', reply: '550 Host or domain name not found. Name service error for name=example.invalid', expect: 'bounced/hard:bad_domain', rule: 'bad-domain' },
  { source: 'disabled text', reply: '550 Account has been disabled', expect: 'bounced/hard:mailbox_disabled', rule: 'mailbox-disabled' },
  { source: 'full text', reply: '550 Mailbox is full', expect: 'bounced/soft:mailbox_full', rule: 'mailbox-full' },
  { source: 'too large text', reply: '554 Message too large', expect: 'bounced/soft:message_too_large', rule: 'too-large' },
  { source: 'TLS required (permanent)', reply: '550 TLS is required for this recipient', expect: 'blocked:tls_required', rule: 'tls-required' },
  { source: 'TLS code', reply: '523 5.7.10 Encryption needed', expect: 'blocked:tls_required', rule: 'tls-required-code' },
  { source: 'temporary block list', reply: '451 Temporarily blocked: listed at bl.spamcop.net', expect: 'deferred:reputation', rule: 'temp-blocklisted' },
  { source: 'temporary DMARC code', reply: '451 4.7.32 From domain alignment', expect: 'deferred:dmarc', rule: 'temp-dmarc-code' },
  { source: 'temporary auth code', reply: '421 4.7.27 Sender did not pass', expect: 'deferred:authentication', rule: 'temp-authentication-code' },
  { source: 'temporary rate code', reply: '421 4.7.28 Please slow', expect: 'deferred:rate_limited', rule: 'temp-rate-code' },
  { source: 'temporary full text', reply: '450 Mailbox is full', expect: 'deferred:mailbox_full', rule: 'temp-mailbox-full' },
];

function describeResult(c: Classification): string {
  return `${c.outcome}${c.bounceType ? `/${c.bounceType}` : ''}:${c.category}`;
}

function classify(c: Case): Classification {
  const { code } = parseSmtpResponse(c.reply);
  return classifySmtpReply({ code: code ?? 0, text: c.reply, phase: c.phase });
}

describe('classifySmtpReply', () => {
  it.each(CASES)('$source', (c) => {
    const result = classify(c);
    expect(describeResult(result)).toBe(c.expect);
    if (c.rule) expect(result.rule).toBe(c.rule);
    if (c.wait !== undefined) expect(result.retryAfterSeconds).toBe(c.wait);
    if (result.outcome !== 'deferred') expect(result.retryAfterSeconds).toBeUndefined();
  });

  it('uses the enhanced code given apart from the text', () => {
    const result = classifySmtpReply({ code: 552, enhanced: '5.2.2', text: 'Requested mail action aborted' });
    expect(result).toEqual({ outcome: 'bounced', bounceType: 'soft', category: 'mailbox_full', rule: 'mailbox-full-code' });
  });

  it('reads the wait of a deferral and omits it when none is named', () => {
    expect(classifySmtpReply({ code: 451, text: '4.7.1 try again later' }).retryAfterSeconds).toBeUndefined();
    expect(classifySmtpReply({ code: 421, text: 'Greylisted for 90 seconds' }).retryAfterSeconds).toBe(90);
  });

  it('takes the class from the enhanced code when the basic code is out of range', () => {
    expect(classifySmtpReply({ code: 0, text: 'Sorry, no mailbox here by that name. (#5.1.1)' }).outcome).toBe('bounced');
    expect(classifySmtpReply({ code: 0, text: 'connection lost' }).outcome).toBe('deferred');
  });

  it('covers every row of the table with at least one real reply', () => {
    const used = new Set(CASES.map((c) => classify(c).rule));
    const unused = SMTP_RULES.map((r) => r.id).filter((id) => !used.has(id));
    expect(unused).toEqual([]);
  });
});

describe('SMTP_RULES', () => {
  it('has unique ids', () => {
    const ids = SMTP_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('matches text case-insensitively and statelessly', () => {
    for (const rule of SMTP_RULES.filter((r) => r.text)) {
      expect(rule.text?.flags, rule.id).toContain('i');
      expect(rule.text?.flags, rule.id).not.toContain('g');
    }
  });

  it('never bounces a 4xx and never defers a 5xx', () => {
    for (const rule of SMTP_RULES) {
      if (rule.class === 4) expect(rule.then.outcome, rule.id).toBe('deferred');
      if (rule.class === 5) expect(rule.then.outcome, rule.id).not.toBe('deferred');
    }
  });

  it('ends each code class with a default row', () => {
    const defaults = SMTP_RULES.filter((r) => !r.text && !r.enhanced && !r.codes && !r.phases);
    expect(defaults.map((r) => r.class).sort()).toEqual([4, 5]);
    expect(SMTP_RULES.at(-1)).toBe(defaults.find((r) => r.class === 5));
  });
});

describe('parseSmtpResponse', () => {
  it('joins continuation lines and strips their codes', () => {
    expect(parseSmtpResponse('550-5.1.1 first\n550-5.1.1 second\n550 5.1.1 third - gsmtp')).toEqual({
      code: 550,
      enhanced: '5.1.1',
      text: 'first second third - gsmtp',
    });
  });

  it('does not mistake a four-part number for an enhanced code', () => {
    expect(parseSmtpResponse('421 4.16.55.1 deferred').enhanced).toBeUndefined();
  });
});

describe('hasStatusPrefix', () => {
  it('compares whole components', () => {
    expect(hasStatusPrefix('5.7.26', '5.7')).toBe(true);
    expect(hasStatusPrefix('5.1.10', '5.1.1')).toBe(false);
    expect(hasStatusPrefix('5.1.1', '5.1.1')).toBe(true);
    expect(hasStatusPrefix('5.1', '5.1.1')).toBe(false);
  });
});

describe('classifyConnectionFailure', () => {
  it.each([
    ['ECONNREFUSED', 'connection', 'conn-refused'],
    ['ETIMEDOUT', 'connection', 'conn-timeout'],
    ['ECONNRESET', 'connection', 'conn-reset'],
    ['EHOSTUNREACH', 'connection', 'conn-unreachable'],
    ['ENOTFOUND', 'dns', 'conn-dns'],
    ['ETLS', 'connection', 'conn-tls'],
    ['EGREETING', 'protocol', 'conn-greeting'],
    ['ESOMETHINGNEW', 'connection', 'conn-other'],
  ])('%s', (code, category, rule) => {
    expect(classifyConnectionFailure(code)).toEqual({ outcome: 'deferred', category, rule });
  });
});

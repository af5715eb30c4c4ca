import type { Classification } from './classification';
import { classifySmtpReply, parseSmtpResponse } from './classify-smtp-reply';

/**
 * Bounces that are not RFC 3464 reports: qmail's "failure notice", Exim's and old Sendmail's
 * text bounces, Exchange and hosted-mail notices that lost their report part on the way. They
 * are recognized by who sends them and how they are worded, and only the failure section is
 * read (never the returned message below it, whose words are ours).
 */
export interface PlainBounce {
  /** A delay warning: the remote MTA is still trying. */
  temporary: boolean;
  /** One entry per failed address found; one entry without address when none was named. */
  failures: PlainBounceFailure[];
}

export interface PlainBounceFailure {
  address?: string;
  /** The remote reply or the notice's reason, as quoted. */
  reply?: string;
  classification: Classification;
}

export interface PlainBounceInput {
  from?: string;
  subject?: string;
  /** The readable text of the notice (the text/plain part, or text stripped from HTML). */
  text: string;
  /** MAIL FROM of the notice; '' for the null sender bounces use. */
  envelopeSender?: string;
  /** The message also reads as a vacation reply (RFC 3834 headers, "Out of office"). */
  vacation?: boolean;
}

const DAEMON_LOCAL = /^(?:mailer-?daemon|mail-?daemon|postmaster|mail\.?delivery(?:\.?(?:subsystem|system))?|bounces?|mdaemon|mailer)$/i;
const DAEMON_NAME = /mail delivery (?:subsystem|system|service)|mailer-?daemon|postmaster|delivery status notification/i;
const BOUNCE_SUBJECT =
  /undeliver(?:ed|able)|delivery (?:status notification \((?:failure|delay)\)|failure|failed|has failed|problem|notification)|mail delivery (?:failed|failure|problem)|returned mail|failure notice|could not be delivered|non[- ]?delivery|message not delivered|returning message to sender|warning: could not send|delayed mail|delivery delayed|unzustellbar|nicht zustellbar|non remis|non distribuable|échec de (?:la )?(?:remise|distribution)|no se pudo entregar|non recapitabile|não entregue|^\s*ndr\b/i;
const FAILURE_WORDING =
  /could ?n[o']t be delivered|was not delivered|wasn't delivered|(?:permanent|fatal) (?:error|failure)|permanently|delivery (?:to the following recipients? )?(?:has )?failed|following (?:address(?:es)?|recipients?) failed|unable to deliver|undeliverable|i'm sorry to have to inform you|i'm afraid i wasn't able to deliver|this is the (?:qmail-send program|mail system at host|mail delivery software)|created automatically by mail delivery software|could not be delivered to one or more|delivery has failed to these recipients|your message (?:wasn't|was not|couldn't be|could not be) delivered|the following addresses had permanent fatal errors|message could not be delivered|hop count exceeded|retry (?:timeout|time not reached)|giving up|gave up/i;
const DELAY_WORDING =
  /(?:has|have) not (?:yet )?been delivered|not been delivered yet|will (?:continue|keep) (?:to try|trying|retrying)|will (?:retry|try again)|still (?:trying|being retried)|this is a warning|warning message only|delivery (?:is )?delayed|delayed (?:mail|delivery)|\(delay\)|do not need to resend|no action is required on your part/i;
const PERMANENT_WORDING = /permanent|fatal|gave up|giving up|could ?n[o']t be delivered|could not be delivered|undeliverable|has failed|failed permanently/i;

// Where the returned copy of the message starts in the formats we know; text below is not read.
const RETURNED_COPY_RULE = /copy of the message|original message|returned message|headers of the original|message headers follow|undelivered message/i;
const RETURNED_COPY_LINE = /^(?:original message (?:follows|headers)|below this line is a copy)/i;
const RETURNED_COPY_HEADER = /^(?:received|return-path|dkim-signature|message-id):/i;

// A reply line: "550 5.1.1 ...", "550-5.1.1 ...", "554: delivery error" (Yahoo), "host x said: 550 ...",
// "Remote Server returned '550 ...'".
const REPLY_LINE = /(?:^|said:|returned[ \t]+['"]?|\(reason:|:[ \t\n])[ \t]*([45][0-5]\d)(?:[ :-](?:#?[245]\.\d{1,3}\.\d{1,3}\b)?|$)[^\n]*/gim;

export function detectPlainBounce(input: PlainBounceInput): PlainBounce | null {
  const subject = input.subject ?? '';
  const fromDaemon = isDaemon(input.from);
  const nullSender = input.envelopeSender === '';
  const section = failureSection(input.text);
  const bounceSubject = BOUNCE_SUBJECT.test(subject);
  const failureWording = FAILURE_WORDING.test(section);
  const delayWording = DELAY_WORDING.test(section) || /delay/i.test(subject);
  const evidence = failureWording || delayWording;
  if (!(((fromDaemon || nullSender) && (bounceSubject || evidence)) || (bounceSubject && evidence))) return null;
  // "I am away, your message was not delivered to me until Monday": a person's auto-reply with
  // failure words in it is still an auto-reply unless a mail system sent it.
  if (input.vacation && !fromDaemon && !bounceSubject) return null;

  const temporary = delayWording && !PERMANENT_WORDING.test(`${subject}\n${section}`.replace(DELAY_WORDING, ''));
  return { temporary, failures: failures(section, temporary, input.from) };
}

function isDaemon(from: string | undefined): boolean {
  if (!from) return false;
  const address = /<([^<>]*)>/.exec(from)?.[1] ?? from;
  const local = address.split('@')[0].trim().replace(/^"|"$/g, '');
  return DAEMON_LOCAL.test(local) || DAEMON_NAME.test(from.replace(/<[^<>]*>/, ''));
}

/** The notice without the returned message, capped so a huge body costs nothing. */
function failureSection(text: string): string {
  const head = text.slice(0, 20_000);
  // Line by line: one pattern over the whole text would backtrack badly on hostile input.
  let offset = 0;
  for (const line of head.split('\n')) {
    const trimmed = line.trimStart();
    const cut =
      (trimmed.startsWith('--') && RETURNED_COPY_RULE.test(trimmed.slice(0, 200))) ||
      RETURNED_COPY_LINE.test(trimmed.slice(0, 100)) ||
      (offset > 0 && RETURNED_COPY_HEADER.test(line.slice(0, 40)));
    if (cut && offset > 0) return head.slice(0, offset);
    offset += line.length + 1;
  }
  return head;
}

function failures(section: string, temporary: boolean, from: string | undefined): PlainBounceFailure[] {
  const fromAddress = (from && (/<([^<>]*)>/.exec(from)?.[1] ?? from).trim().toLowerCase()) || '';
  const addresses: Array<{ address: string; index: number }> = [];
  for (const { address, index } of findAddresses(section)) {
    const lower = address.toLowerCase();
    // The daemon's own address and the VERP address the notice was sent to are not failures.
    if (lower === fromAddress || /^bnc-(?:[rm][0-9a-f]{32}|d[0-9a-f]{40})-/.test(lower) || DAEMON_LOCAL.test(lower.split('@')[0])) continue;
    if (!addresses.some((a) => a.address.toLowerCase() === lower)) addresses.push({ address, index });
  }
  const replies = [...section.matchAll(REPLY_LINE)].map((m) => ({ index: m.index ?? 0, text: replyText(section, m) }));
  if (!addresses.length) {
    return [{ reply: replies[0]?.text, classification: classify(replies[0]?.text, section, temporary) }];
  }
  return addresses.map(({ address, index }, i) => {
    const next = addresses[i + 1]?.index ?? section.length;
    // The reply that follows the address (before the next one), else one just before it
    // (Sendmail names the reason first), else the only one there is.
    const reply = replies.find((r) => r.index > index && r.index < next) ?? (replies.length === 1 ? replies[0] : undefined);
    const paragraph = section.slice(index, Math.min(next, index + 600));
    return { address, reply: reply?.text, classification: classify(reply?.text, paragraph, temporary) };
  });
}

const LOCAL_PART = /[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/i;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}[a-z]{2,63}(?![a-z0-9-])/i;
const MAX_ADDRESSES = 50;

/**
 * Addresses in the notice, found from each `@` outwards within the lengths RFC 5321 allows: a
 * regular expression scanning for whole addresses from every position is quadratic on long runs
 * of address characters, which a hostile "bounce" can be made of.
 */
function findAddresses(text: string): Array<{ address: string; index: number }> {
  const found: Array<{ address: string; index: number }> = [];
  for (let at = text.indexOf('@'); at >= 0 && found.length < MAX_ADDRESSES; at = text.indexOf('@', at + 1)) {
    const local = LOCAL_PART.exec(text.slice(Math.max(0, at - 64), at))?.[0];
    const domain = local && DOMAIN.exec(text.slice(at + 1, at + 256))?.[0];
    if (local && domain) found.push({ address: `${local.replace(/^[.]+/, '')}@${domain}`, index: at - local.length });
  }
  return found;
}

/** The reply line with its continuation lines ("550-5.1.1 ..." or indented ones). */
function replyText(section: string, match: RegExpMatchArray): string {
  const start = (match.index ?? 0) + match[0].indexOf(match[1]);
  const lines = section.slice(start).split(/\r?\n/);
  const taken = [lines[0]];
  for (const line of lines.slice(1, 8)) {
    if (/^\s*[45]\d\d-/.test(taken[taken.length - 1]) && /^\s*[45]\d\d[ -]/.test(line)) taken.push(line.trim());
    else if (/^\s{2,}\S/.test(line) && !/^\s*[a-z0-9._%+-]+@/i.test(line) && taken.length < 4 && !/^\s*(?:host|SMTP error)/i.test(line)) taken.push(line.trim());
    else break;
  }
  return taken.join('\n').replace(/['"]\s*$/, '').trim();
}

function classify(reply: string | undefined, paragraph: string, temporary: boolean): Classification {
  if (temporary) {
    const parsed = reply ? parseSmtpResponse(reply) : undefined;
    const result = classifySmtpReply({ code: 450, enhanced: parsed?.enhanced?.startsWith('4.') ? parsed.enhanced : undefined, text: parsed?.text ?? paragraph, phase: 'rcpt' });
    return { outcome: 'deferred', category: result.category, rule: `plain-delay:${result.rule}` };
  }
  if (reply) {
    const parsed = parseSmtpResponse(reply);
    if (parsed.code && parsed.code >= 500) return prefixed(classifySmtpReply({ code: parsed.code, text: reply, phase: phaseOf(paragraph) }));
    // A 4xx quoted in a notice that gave up: the retries ran out.
    if (parsed.code) return expired(classifySmtpReply({ code: parsed.code, text: reply, phase: phaseOf(paragraph) }));
  }
  // No reply quoted: the notice's own words decide, but only recognizably permanent wording
  // about the recipient may suppress; anything vaguer is a soft bounce.
  const result = classifySmtpReply({ code: 550, text: paragraph, phase: phaseOf(paragraph) });
  if (result.outcome === 'bounced' && result.bounceType === 'hard' && result.rule === 'perm-default') {
    return { outcome: 'bounced', bounceType: 'soft', category: 'other', rule: 'plain:unexplained' };
  }
  return prefixed(result);
}

function prefixed(result: Classification): Classification {
  return { ...result, rule: `plain:${result.rule}` };
}

function expired(result: Classification): Classification {
  if (result.outcome !== 'deferred') return prefixed(result);
  return { outcome: 'bounced', bounceType: 'soft', category: result.category, rule: `plain-expired:${result.rule}` };
}

function phaseOf(paragraph: string): 'mail' | 'rcpt' {
  return /(?:in reply to|after)\s+MAIL\s+FROM/i.test(paragraph) ? 'mail' : 'rcpt';
}

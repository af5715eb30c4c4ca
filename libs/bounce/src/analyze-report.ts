import { headerValue, type HeaderField } from '@mailroom/mime';
import { parseFeedbackReport, type FeedbackReport } from './arf';
import { detectAutoReply, type AutoReply } from './auto-reply';
import { parseDeliveryStatus, type DeliveryStatusReport } from './dsn';
import { decodedHeader, decodeBody, parseHeaders, parseMime, partText, type ReportPart } from './mime';
import { detectPlainBounce, type PlainBounce } from './plain-bounce';
import { bareAddress } from './report-fields';

/** What a message that came back to us is, in order of how much it says. */
export type InboundReport =
  | { kind: 'dsn'; dsn: DeliveryStatusReport }
  | { kind: 'feedback'; feedback: FeedbackReport }
  | { kind: 'plain-bounce'; bounce: PlainBounce }
  | { kind: 'auto-reply'; autoReply: AutoReply }
  | { kind: 'other' };

export interface AnalyzedMessage {
  report: InboundReport;
  subject?: string;
  from?: string;
  messageId?: string;
  /** The message the report is about, from its returned copy or headers. */
  original?: { messageId?: string; returnPath?: string; subject?: string };
  /**
   * Addresses inside the report that may be one of our signed VERP envelope senders (ARF
   * Original-Mail-From, the Return-Path of the returned copy). A report that reached us at
   * another address is matched only through these, and only if the signature holds.
   */
  tokenCandidates: string[];
}

/** How much readable text is searched: notices are short, and hostile input may not be. */
const MAX_SCAN = 64 * 1024;
const DELIVERY_STATUS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const FEEDBACK = 'message/feedback-report';
const ORIGINAL_MESSAGE = new Set(['message/rfc822', 'message/global']);
const ORIGINAL_HEADERS = new Set(['text/rfc822-headers', 'message/global-headers', 'text/rfc822-header']);

/**
 * Reads a message that arrived for Mailroom and says what kind of report it is. Pure and
 * synchronous: the same bytes always give the same answer, and nothing here trusts the
 * content to name what it applies to (the caller matches it through the VERP token).
 */
export function analyzeInboundMessage(raw: Buffer | string, envelope: { sender?: string } = {}): AnalyzedMessage {
  const root = parseMime(raw);
  const parts = ownParts(root);
  const base = {
    subject: decodedHeader(root.headers, 'subject'),
    from: decodedHeader(root.headers, 'from'),
    messageId: messageIdOf(root.headers),
  };
  const original = originalOf(parts);
  const readable = readableText(parts);
  const tokenCandidates = new Set<string>();
  if (original?.returnPath) tokenCandidates.add(original.returnPath);
  // A returned copy quoted inline (qmail, Sendmail) keeps its Return-Path near the top.
  for (const m of readable.slice(0, MAX_SCAN).matchAll(/^[ \t]*Return-Path:[ \t]*<?(bnc-(?:[rm][0-9a-f]{32}|d[0-9a-f]{40})-[0-9a-f]{16}@[^\s>]{1,255})>?/gim)) tokenCandidates.add(m[1]);

  const result = (report: InboundReport): AnalyzedMessage => ({ ...base, report, original, tokenCandidates: [...tokenCandidates] });

  const statusPart = parts.find((p) => DELIVERY_STATUS.has(p.contentType));
  if (statusPart) {
    const dsn = parseDeliveryStatus(partText(statusPart), readable.slice(0, MAX_SCAN));
    if (dsn.recipients.length) return result({ kind: 'dsn', dsn });
  }
  const feedbackPart = parts.find((p) => p.contentType === FEEDBACK);
  if (feedbackPart) {
    const feedback = parseFeedbackReport(partText(feedbackPart));
    if (feedback) {
      if (feedback.originalMailFrom) tokenCandidates.add(feedback.originalMailFrom);
      return result({ kind: 'feedback', feedback });
    }
  }
  const autoReply = detectAutoReply(root.headers);
  const bounce = detectPlainBounce({ from: base.from, subject: base.subject, text: readable, envelopeSender: envelope.sender, vacation: autoReply?.kind === 'vacation' });
  if (bounce) return result({ kind: 'plain-bounce', bounce });
  if (autoReply) return result({ kind: 'auto-reply', autoReply });
  return result({ kind: 'other' });
}

/** The message's own parts: embedded messages are content, not structure, and are not entered. */
function ownParts(root: ReportPart): ReportPart[] {
  const out: ReportPart[] = [];
  const visit = (part: ReportPart) => {
    out.push(part);
    if (part.contentType.startsWith('multipart/')) part.children.forEach(visit);
  };
  visit(root);
  return out;
}

function originalOf(parts: ReportPart[]): AnalyzedMessage['original'] {
  let headers: HeaderField[] | undefined;
  const message = parts.find((p) => ORIGINAL_MESSAGE.has(p.contentType));
  if (message?.children[0]) headers = message.children[0].headers;
  else {
    const headerPart = parts.find((p) => ORIGINAL_HEADERS.has(p.contentType));
    if (headerPart) headers = parseHeaders(decodeBody(headerPart));
  }
  if (!headers) return undefined;
  return { messageId: messageIdOf(headers), returnPath: bareAddress(headerValue(headers, 'return-path')), subject: decodedHeader(headers, 'subject') };
}

/** The human-readable text: every text/plain part of the message itself, else its HTML without tags. */
function readableText(parts: ReportPart[]): string {
  const plain = parts.filter((p) => p.contentType === 'text/plain' && !isAttachment(p));
  // Only the first 64 KB of a report's text is ever looked at.
  if (plain.length) return plain.map((p) => partText(p, 64 * 1024)).join('\n');
  const html = parts.find((p) => p.contentType === 'text/html');
  return html ? htmlToText(partText(html, 64 * 1024)) : '';
}

function isAttachment(part: ReportPart): boolean {
  return /^\s*attachment/i.test(headerValue(part.headers, 'content-disposition') ?? '');
}

/** Script and style elements out, by indexOf: linear on any input (a regex here was quadratic). */
function withoutScripts(html: string): string {
  let out = '';
  let at = 0;
  const lower = html.toLowerCase();
  for (;;) {
    const script = lower.indexOf('<script', at);
    const style = lower.indexOf('<style', at);
    const start = script < 0 ? style : style < 0 ? script : Math.min(script, style);
    if (start < 0) return out + html.slice(at);
    const close = lower.indexOf(start === script ? '</script' : '</style', start);
    out += `${html.slice(at, start)} `;
    if (close < 0) return out;
    const end = lower.indexOf('>', close);
    if (end < 0) return out;
    at = end + 1;
  }
}

function htmlToText(html: string): string {
  return withoutScripts(html.slice(0, 64 * 1024))
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ');
}

function messageIdOf(headers: HeaderField[]): string | undefined {
  const value = headerValue(headers, 'message-id');
  const id = value && (/<([^<>]+)>/.exec(value)?.[1] ?? value.trim());
  return id || undefined;
}

import { DomainError } from '@mailroom/common';
import { Injectable } from '@nestjs/common';
import { analyzeInboundMessage, type AnalyzedMessage } from '@mailroom/bounce';
import { Secrets } from '@mailroom/crypto';
import { InboundRepository, type ReportOutcome } from '@mailroom/db';
import { EventWriter } from '@mailroom/events';
import type { Logger } from '@mailroom/logger';
import { MailStore } from '@mailroom/mailstore';
import { findBodyStart, headerValue, parseContentType, parseHeaderFields } from '@mailroom/mime';
import { UnsubscribeService } from '@mailroom/newsletter';
import { ReturnPath, tokenCovers } from '@mailroom/verp';
import { MessageAuthenticator } from './message-authenticator';
import { reportOutcomes } from './report-outcomes';
import type { Route } from './routes';
import { Replies, type SmtpReply } from '../common/smtp-reply';
import { stripUntrustedTrace, traceHeaders } from './trace-headers';

export interface InboundEnvelope {
  /** MAIL FROM, '' for the null sender. */
  mailFrom: string;
  routes: Route[];
}

export interface ClientFacts {
  ip: string;
  helo: string;
  clientHostname: string;
  secure: boolean;
  /** Session id and transaction number: the queue id in the 250 reply and the Received header. */
  id: string;
}

export interface DeliveryResult {
  filed: Array<{ mailboxId: string; folder: string; uid: number }>;
  applied: Array<{ recipientId: string; status: string }>;
  /** Recipients whose List-Unsubscribe mailto address this mail went to, now unsubscribed. */
  unsubscribed: string[];
  report?: AnalyzedMessage['report']['kind'];
}

/**
 * What happens to a message once DATA is complete, before the client gets its 250: reports to
 * VERP addresses update the recipients their signed token names, and every copy is filed into
 * the mail store (the mailbox's INBOX, or the domain's bounce mailbox's Bounces folder). Any
 * failure rejects the whole transaction with a 4xx, so the sender keeps the message and
 * retries; report changes are idempotent, so a retry counts nothing twice.
 */
@Injectable()
export class InboundDelivery {
  private readonly returnPath: ReturnPath;

  constructor(
    private readonly inbound: InboundRepository,
    private readonly store: MailStore,
    private readonly authenticator: MessageAuthenticator,
    private readonly unsubscribe: UnsubscribeService,
    private readonly events: EventWriter,
    secrets: Secrets,
  ) {
    this.returnPath = new ReturnPath(secrets);
  }

  async deliver(raw: Buffer, envelope: InboundEnvelope, client: ClientFacts, host: string, log: Logger): Promise<DeliveryResult | SmtpReply> {
    const result: DeliveryResult = { filed: [], applied: [], unsubscribed: [] };
    const mailboxRoutes = envelope.routes.filter((r): r is Extract<Route, { kind: 'mailbox' }> => r.kind === 'mailbox');
    const reportRoutes = envelope.routes.filter((r): r is Extract<Route, { kind: 'return-path' }> => r.kind === 'return-path');
    const clean = stripUntrustedTrace(raw, this.authenticator.authservId);

    // 0. Mail to a List-Unsubscribe mailto address unsubscribes, whatever it says (RFC 2369).
    for (const route of envelope.routes) {
      if (route.kind !== 'unsubscribe') continue;
      await this.unsubscribe.unsubscribeByMail(route.recipientId, { ip: client.ip, userAgent: `mailto from ${envelope.mailFrom || '<>'}` });
      result.unsubscribed.push(route.recipientId);
    }
    if (result.unsubscribed.length) log.info({ unsubscribed: result.unsubscribed.length }, 'unsubscribed by mail');

    // 1. Reports: to a VERP address (the token is in the envelope), or a feedback report or
    //    DSN sent to a mailbox (tokens only from inside it, and only if their signature holds).
    const outcomes: ReportOutcome[] = [];
    let analyzed: AnalyzedMessage | undefined;
    if (reportRoutes.length || (mailboxRoutes.length && looksLikeReport(raw))) {
      analyzed = analyzeInboundMessage(raw, { sender: envelope.mailFrom });
      result.report = analyzed.report.kind;
      for (const route of reportRoutes) outcomes.push(...reportOutcomes(analyzed, route.target, route.token));
      if (!reportRoutes.length && analyzed.report.kind !== 'other' && analyzed.report.kind !== 'auto-reply') {
        outcomes.push(...(await this.outcomesFromInside(analyzed)));
      }
      if (outcomes.length) result.applied = await this.inbound.applyReports(outcomes);
      log.info({ report: analyzed.report.kind, outcomes: outcomes.length, applied: result.applied }, 'report processed');
    }

    // Mail to a return path that is no report (a person's reply, an auto-reply) has nowhere to
    // go when the domain keeps no bounce mailbox: refuse it rather than accept and drop it.
    const reportKind = analyzed?.report.kind;
    if (!mailboxRoutes.length && (reportKind === 'other' || reportKind === 'auto-reply') && reportRoutes.every((r) => !r.target.bounceMailboxId)) {
      log.info({ report: reportKind }, 'not a report, and no bounce mailbox to file it in');
      return Replies.notAReport();
    }

    // 2. Copies into mailboxes: one per mailbox, however many of its addresses were named.
    const copies = new Map<string, { folder: string; recipient: string; authenticated: boolean }>();
    for (const route of mailboxRoutes) if (!copies.has(route.mailboxId)) copies.set(route.mailboxId, { folder: 'INBOX', recipient: route.address, authenticated: true });
    for (const route of reportRoutes) {
      const mailboxId = route.target.bounceMailboxId;
      if (mailboxId && !copies.has(mailboxId)) copies.set(mailboxId, { folder: 'Bounces', recipient: route.address, authenticated: false });
    }
    if (!copies.size) return result;
    const needsAuth = [...copies.values()].some((c) => c.authenticated);
    const authHeaders = needsAuth ? await this.authenticator.headers(raw, { ip: client.ip, helo: client.helo, sender: envelope.mailFrom }) : '';
    for (const [mailboxId, copy] of copies) {
      const trace = traceHeaders(
        { mailFrom: envelope.mailFrom, recipient: copy.recipient, helo: client.helo, clientHostname: client.clientHostname, ip: client.ip, secure: client.secure, host, id: client.id },
        copy.authenticated ? authHeaders : '',
      );
      const stored = Buffer.concat([Buffer.from(trace, 'utf8'), clean]);
      let filed: { uid: number };
      try {
        filed = await this.store.append({
          mailboxId,
          folder: copy.folder,
          raw: stored,
          // Mail for a mailbox (a reply, say) is reported with its filing; reports filed into Bounces are not.
          onFiled: copy.authenticated
            ? (tx, f) =>
                this.events.inboundReceived(tx, mailboxId, {
                  mailbox_id: mailboxId,
                  folder: copy.folder,
                  uid: f.uid,
                  uid_validity: f.uidValidity,
                  recipient: copy.recipient,
                  envelope_from: envelope.mailFrom,
                  from: f.from,
                  to: f.to,
                  subject: f.subject,
                  message_id_header: f.messageIdHeader,
                  in_reply_to: f.inReplyTo,
                  size: f.size,
                })
            : undefined,
        });
      } catch (error) {
        // The mailbox was deleted between RCPT and DATA: that is permanent, not a 451 to retry for days.
        if (error instanceof DomainError && error.kind === 'not_found') {
          if (copies.size === 1) return Replies.noSuchUser();
          continue;
        }
        throw error;
      }
      result.filed.push({ mailboxId, folder: copy.folder, uid: filed.uid });
    }
    return result;
  }

  private async outcomesFromInside(analyzed: AnalyzedMessage): Promise<ReportOutcome[]> {
    const outcomes: ReportOutcome[] = [];
    for (const candidate of analyzed.tokenCandidates) {
      const token = this.returnPath.parse(candidate);
      if (!token) continue;
      const target = await this.inbound.reportTarget(token, tokenCovers(token));
      const domain = candidate.slice(candidate.lastIndexOf('@') + 1).toLowerCase();
      if (!target || target.returnPathDomain !== domain) continue;
      outcomes.push(...reportOutcomes(analyzed, target, token));
      break;
    }
    return outcomes;
  }
}

/** Whether the message's own Content-Type is multipart/report: only such mail is read as a report. */
function looksLikeReport(raw: Buffer): boolean {
  const fields = parseHeaderFields(raw, 0, findBodyStart(raw, 0, raw.length));
  const type = parseContentType(headerValue(fields, 'content-type') ?? '');
  return type?.type === 'multipart' && type.subtype === 'report';
}

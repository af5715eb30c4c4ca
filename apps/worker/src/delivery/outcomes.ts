import { classifyConnectionFailure, classifySmtpReply, type Classification } from '@mailroom/bounce';
import type { ClaimedDelivery, ClaimedRecipient, DeliveryOutcome } from '@mailroom/db';
import type { MxHost, RecipientReply, RouteResult, SendResult } from '@mailroom/delivery';
import type { RetryPolicy } from './retry-policy';

/**
 * Turns what the remote side said into each recipient's next state. Temporary failures become
 * `deferred` with a next attempt (or `failed` past the retry window); permanent ones follow the
 * bounce table: hard bounces suppress, soft bounces and policy blocks do not.
 */
export class OutcomeBuilder {
  constructor(private readonly retries: RetryPolicy) {}

  fromRoute(claim: ClaimedDelivery, recipients: ClaimedRecipient[], route: Extract<RouteResult, { ok: false }>): DeliveryOutcome[] {
    const reply = `${route.code} ${route.enhanced} ${route.message}`;
    const classification: Classification = route.permanent
      ? { outcome: 'bounced', bounceType: 'hard', category: 'bad_domain', rule: 'dns-permanent' }
      : { outcome: 'deferred', category: 'dns', rule: 'dns-temporary' };
    return recipients.map((r) => this.outcome(claim, r, classification, { code: route.code, enhanced: route.enhanced, response: reply }));
  }

  fromSend(claim: ClaimedDelivery, recipients: ClaimedRecipient[], hosts: MxHost[], result: SendResult): DeliveryOutcome[] {
    if (!result.ok) {
      const last = result.connectionErrors[result.connectionErrors.length - 1];
      const classification = last?.smtpCode
        ? classifySmtpReply({ code: last.smtpCode, text: last.message, phase: 'connect' })
        : classifyConnectionFailure(last?.code ?? 'ECONNECTION');
      // No host took the transaction: whatever a greeting said, nothing was refused for the recipient.
      const temporary: Classification = classification.outcome === 'deferred' ? classification : { ...classification, outcome: 'deferred', bounceType: undefined };
      const response = last ? `${last.host}: ${last.message}` : 'no MX host could be reached';
      return recipients.map((r) => this.outcome(claim, r, temporary, { code: last?.smtpCode, response, mxHost: last?.host, mxIndex: 0 }));
    }
    const hostIndex = Math.max(0, hosts.findIndex((h) => h.host === result.mxHost));
    // Next attempt starts at the next MX host: the one that answered 4xx may be the sick one.
    const nextMx = hosts.length ? (hostIndex + 1) % hosts.length : 0;
    return recipients.map((r) => {
      const reply = result.recipients.find((x: RecipientReply) => x.address.toLowerCase() === r.email.toLowerCase());
      if (!reply) {
        return this.outcome(claim, r, { outcome: 'deferred', category: 'other', rule: 'no-reply' }, { response: 'the server gave no reply for this recipient', mxHost: result.mxHost, mxIndex: nextMx });
      }
      const fields = { code: reply.code, enhanced: reply.enhanced, response: reply.response, mxHost: result.mxHost, mxIndex: nextMx };
      if (reply.accepted) {
        return { recipientId: r.id, attempt: r.attempts, status: 'delivered' as const, detail: reply.response, suppress: false, ...fields };
      }
      return this.outcome(claim, r, classifySmtpReply({ code: reply.code, enhanced: reply.enhanced, text: reply.response }), fields);
    });
  }

  /**
   * Our own failure after the claim (a key that no longer decrypts, a message mailauth cannot
   * sign, a bug): retried like a temporary failure, so it ends `failed` when the window closes
   * instead of looping through lease expiries.
   */
  fromError(claim: ClaimedDelivery, recipients: ClaimedRecipient[], error: unknown): DeliveryOutcome[] {
    const reason = error instanceof Error ? error.message : String(error);
    return recipients.map((r) =>
      this.outcome(claim, r, { outcome: 'deferred', category: 'other', rule: 'local-error' }, { code: 451, enhanced: '4.3.0', response: `local error: ${reason}`.slice(0, 500) }),
    );
  }

  private outcome(
    claim: ClaimedDelivery,
    recipient: ClaimedRecipient,
    classification: Classification,
    fields: { code?: number; enhanced?: string; response: string; mxHost?: string; mxIndex?: number },
  ): DeliveryOutcome {
    const base = { recipientId: recipient.id, attempt: recipient.attempts, ...fields, detail: fields.response };
    if (classification.outcome === 'deferred') {
      // A scheduled message's retry window starts when it was due, not when it was accepted.
      const start = claim.sendAt && claim.sendAt > claim.createdAt ? claim.sendAt : claim.createdAt;
      const next = this.retries.nextAttempt(recipient.attempts, start, classification.retryAfterSeconds);
      if (!next) return { ...base, status: 'failed', detail: `gave up after ${recipient.attempts} attempts: ${fields.response}`, suppress: false };
      return { ...base, status: 'deferred', nextAttemptAt: next, suppress: false };
    }
    if (classification.outcome === 'blocked') return { ...base, status: 'blocked', suppress: false };
    return { ...base, status: 'bounced', bounceType: classification.bounceType ?? 'hard', suppress: classification.bounceType !== 'soft' };
  }
}

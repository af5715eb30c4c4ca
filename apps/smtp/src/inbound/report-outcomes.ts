import type { AnalyzedMessage, Classification } from '@mailroom/bounce';
import type { ReportOutcome, ReportTarget } from '@mailroom/db';
import type { ReturnPathToken } from '@mailroom/verp';

type TargetRecipient = ReportTarget['recipients'][number];

/**
 * Turns an analyzed report into changes to the recipients of the message a signed VERP token
 * names. The token decides which message; the report only picks among that message's
 * recipients (by address), so a report can never reach another message, and with a recipient
 * token it can reach no one but that recipient. Auto-replies and other mail change nothing.
 */
export function reportOutcomes(analyzed: AnalyzedMessage, target: ReportTarget, token: ReturnPathToken): ReportOutcome[] {
  const report = analyzed.report;
  const base = { report_message_id: analyzed.messageId, original_message_id: analyzed.original?.messageId };
  const outcomes = new Map<string, ReportOutcome>();
  const add = (recipient: TargetRecipient | undefined, outcome: Omit<ReportOutcome, 'recipientId'>) => {
    if (recipient && !outcomes.has(recipient.id)) outcomes.set(recipient.id, { recipientId: recipient.id, ...outcome });
  };

  switch (report.kind) {
    case 'dsn': {
      const reported = report.dsn.recipients.filter((r) => r.classification);
      // When the report names one of our addresses at all (even as delivered), it speaks for
      // itself; only a report naming none of them (a forwarded address) falls back to the token.
      const namesOurs = report.dsn.recipients.some((r) => byAddress(target, r.originalRecipient, r.finalRecipient));
      for (const r of reported) {
        const fallback = !namesOurs && (reported.length === 1 || r === reported.find((x) => x.action === 'failed'));
        const recipient = byAddress(target, r.originalRecipient, r.finalRecipient) ?? soleRecipient(target, token, fallback);
        add(recipient, {
          ...fromClassification(r.classification!),
          code: r.code,
          enhanced: r.status,
          response: r.diagnostic,
          detail: r.diagnostic ?? `${r.action}: status ${r.status ?? 'unknown'}${report.dsn.reportingMta ? ` (reported by ${report.dsn.reportingMta})` : ''}`,
          data: strip({ source: 'dsn', action: r.action, status: r.status, rule: r.classification!.rule, category: r.classification!.category, reporting_mta: report.dsn.reportingMta, remote_mta: r.remoteMta, final_recipient: r.finalRecipient, ...base }),
        });
      }
      break;
    }
    case 'feedback': {
      const feedback = report.feedback;
      if (!feedback.complaint) break;
      const matched = feedback.originalRcptTo.map((a) => byAddress(target, a)).filter((r): r is TargetRecipient => !!r);
      const recipients = matched.length ? matched : [soleRecipient(target, token, true)];
      for (const recipient of recipients) {
        add(recipient, {
          status: 'complained',
          suppress: true,
          detail: `${feedback.feedbackType} report${feedback.userAgent ? ` from ${feedback.userAgent}` : ''}`,
          data: strip({ source: 'arf', feedback_type: feedback.feedbackType, user_agent: feedback.userAgent, reporting_mta: feedback.reportingMta, source_ip: feedback.sourceIp, ...base }),
        });
      }
      break;
    }
    case 'plain-bounce': {
      const failures = report.bounce.failures;
      const namesOurs = failures.some((f) => byAddress(target, f.address));
      for (const failure of failures) {
        const recipient = byAddress(target, failure.address) ?? soleRecipient(target, token, !namesOurs && failure === failures[0]);
        add(recipient, {
          ...fromClassification(failure.classification),
          response: failure.reply,
          detail: failure.reply ?? `bounce notice: ${analyzed.subject ?? 'no subject'}`,
          data: strip({ source: 'plain-bounce', rule: failure.classification.rule, category: failure.classification.category, address: failure.address, ...base }),
        });
      }
      break;
    }
    case 'auto-reply':
    case 'other':
      break;
  }
  return [...outcomes.values()];
}

function fromClassification(c: Classification): Pick<ReportOutcome, 'status' | 'bounceType' | 'suppress'> {
  switch (c.outcome) {
    case 'bounced':
      return { status: 'bounced', bounceType: c.bounceType, suppress: c.bounceType === 'hard' };
    case 'blocked':
      return { status: 'blocked', suppress: false };
    case 'deferred':
      return { status: 'deferred', suppress: false };
  }
}

function byAddress(target: ReportTarget, ...addresses: Array<string | undefined>): TargetRecipient | undefined {
  for (const address of addresses) {
    const lower = address?.trim().toLowerCase();
    const found = lower && target.recipients.find((r) => r.email.toLowerCase() === lower);
    if (found) return found;
  }
  return undefined;
}

/**
 * With a recipient token the report is about that recipient even when it names a forwarded
 * address; `allowed` says whether this entry of the report is the one to take.
 */
function soleRecipient(target: ReportTarget, token: ReturnPathToken, allowed: boolean): TargetRecipient | undefined {
  if (!allowed || token.kind !== 'recipient') return undefined;
  return target.recipients.find((r) => r.id === token.recipientId);
}

function strip(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== null));
}

import type { Classification, SmtpPhase } from './classification';
import { classifySmtpReply, parseSmtpResponse } from './classify-smtp-reply';
import { diagnosticText, field, parseFieldGroups, typedAddress } from './report-fields';

/** RFC 3464 2.3.3: what the reporting MTA did for one recipient. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
  /** Final-Recipient: the address the reporting MTA tried (after forwarding, if any). */
  finalRecipient?: string;
  /** Original-Recipient: the address as we gave it (present when we sent ORCPT). */
  originalRecipient?: string;
  /** Missing or unknown actions read as `failed`: that is what a report without one means. */
  action: DsnAction;
  /** RFC 3463 status, e.g. `5.1.1`. */
  status?: string;
  /** The remote reply (`smtp;` diagnostic) or the reporting MTA's own words. */
  diagnostic?: string;
  /** Basic reply code from the diagnostic, when it has one. */
  code?: number;
  remoteMta?: string;
  /** For failed and delayed recipients. */
  classification?: Classification;
}

export interface DeliveryStatusReport {
  reportingMta?: string;
  originalEnvelopeId?: string;
  arrivalDate?: string;
  recipients: DsnRecipient[];
}

const MAX_RECIPIENTS = 1000;
const MAX_DIAGNOSTIC = 2000;
const ACTIONS = new Set<DsnAction>(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);
const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parses the message/delivery-status part of a DSN. `humanText` (the first, readable part) is
 * searched for the SMTP stage each recipient failed at ("in reply to MAIL FROM command"): a
 * rejection of our envelope sender is about us, not the recipient.
 */
export function parseDeliveryStatus(text: string, humanText = ''): DeliveryStatusReport {
  const lowerText = humanText.toLowerCase(); // once, not once per recipient
  const [perMessage, ...perRecipient] = parseFieldGroups(text);
  // A report whose first group already names a recipient has no per-message fields.
  const groups = perMessage && (perMessage.has('final-recipient') || perMessage.has('original-recipient')) ? [perMessage, ...perRecipient] : perRecipient;
  const messageFields = groups[0] === perMessage ? undefined : perMessage;
  const recipients = groups
    .filter((g) => g.has('final-recipient') || g.has('original-recipient') || g.has('status') || g.has('action'))
    // One transaction has at most a few hundred recipients; a report naming more is not honest.
    .slice(0, MAX_RECIPIENTS)
    .map((g): DsnRecipient => {
      const actionValue = (field(g, 'action') ?? '').toLowerCase().split(/[\s(;]/)[0] as DsnAction;
      const statusValue = /^\s*([245]\.\d{1,3}\.\d{1,3})/.exec(field(g, 'status') ?? '')?.[1];
      const diagnostic = diagnosticText(field(g, 'diagnostic-code')?.slice(0, MAX_DIAGNOSTIC));
      const reply = diagnostic ? parseSmtpResponse(diagnostic.text) : undefined;
      const recipient: DsnRecipient = {
        finalRecipient: typedAddress(field(g, 'final-recipient')),
        originalRecipient: typedAddress(field(g, 'original-recipient')),
        // Without a valid Action, the Status class says what happened (2 delivered, 4 delayed).
        action: ACTIONS.has(actionValue) ? actionValue : statusValue?.startsWith('2') ? 'delivered' : statusValue?.startsWith('4') ? 'delayed' : 'failed',
        status: statusValue,
        diagnostic: diagnostic?.text || undefined,
        code: diagnostic?.type === 'smtp' || diagnostic?.type === undefined ? reply?.code : undefined,
        remoteMta: typedAddress(field(g, 'remote-mta')),
      };
      if (recipient.action === 'failed' || recipient.action === 'delayed') {
        recipient.classification = classifyDsnRecipient(recipient, phaseFor(humanText, recipient, lowerText));
      }
      return recipient;
    });
  return {
    reportingMta: typedAddress(field(messageFields, 'reporting-mta')),
    originalEnvelopeId: field(messageFields, 'original-envelope-id'),
    arrivalDate: field(messageFields, 'arrival-date'),
    recipients,
  };
}

// Blocked outcomes a temporary failure turns into once the reporting MTA gave up retrying:
// the fault stays the sender's, so the address is kept.
const SENDER_SIDE = new Set(['reputation', 'dmarc', 'authentication', 'policy', 'rate_limited', 'greylisted', 'tls_required', 'spam_content']);

/**
 * Classifies one recipient of a DSN with the SMTP reply table. The Status field is the
 * reporting MTA's verdict; the diagnostic (the remote reply) gives the wording. A `failed`
 * recipient with a 4.x.x status is one whose retries ran out: a soft bounce (or blocked when
 * the reason was ours), never a hard one. A `delayed` recipient is only ever deferred.
 */
export function classifyDsnRecipient(recipient: DsnRecipient, phase: SmtpPhase = 'rcpt'): Classification {
  const statusClass = recipient.status ? Number(recipient.status[0]) : recipient.code ? Math.floor(recipient.code / 100) : recipient.action === 'delayed' ? 4 : 5;
  const code = recipient.code && Math.floor(recipient.code / 100) === statusClass ? recipient.code : statusClass === 4 ? 450 : 550;
  const enhanced = recipient.status && STATUS.test(recipient.status) && recipient.status !== `${statusClass}.0.0` ? recipient.status : undefined;
  const result = classifySmtpReply({ code, enhanced, text: recipient.diagnostic ?? '', phase });
  if (recipient.action === 'delayed') {
    return result.outcome === 'deferred' ? result : { outcome: 'deferred', category: result.category, rule: `delayed:${result.rule}` };
  }
  if (result.outcome !== 'deferred') return result;
  return SENDER_SIDE.has(result.category)
    ? { outcome: 'blocked', category: result.category, rule: `expired:${result.rule}` }
    : { outcome: 'bounced', bounceType: 'soft', category: result.category, rule: `expired:${result.rule}` };
}

const PHASES: Array<[RegExp, SmtpPhase]> = [
  [/(?:in reply to|after)\s+(?:the\s+)?MAIL\s+FROM\b/i, 'mail'],
  [/(?:in reply to|after)\s+(?:the\s+)?(?:HELO|EHLO)\b/i, 'ehlo'],
  [/(?:in reply to|after)\s+(?:the\s+)?(?:initial connection|greeting|banner)/i, 'connect'],
  [/(?:in reply to|after)\s+(?:the\s+)?(?:RCPT\s+TO|end of data|DATA\b|pipelined)/i, 'rcpt'],
];

/** The SMTP stage named near the recipient in the readable part; `rcpt` when none is. */
function phaseFor(humanText: string, recipient: DsnRecipient, lower = humanText.toLowerCase()): SmtpPhase {
  if (!humanText) return 'rcpt';
  const address = (recipient.originalRecipient ?? recipient.finalRecipient ?? '').toLowerCase();
  const at = address ? lower.indexOf(address) : -1;
  const windows = at >= 0 ? [humanText.slice(at, at + 800)] : [humanText];
  for (const window of windows) {
    let best: { index: number; phase: SmtpPhase } | undefined;
    for (const [pattern, phase] of PHASES) {
      const match = pattern.exec(window);
      if (match && (!best || match.index < best.index)) best = { index: match.index, phase };
    }
    if (best) return best.phase;
  }
  return 'rcpt';
}

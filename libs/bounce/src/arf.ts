import { field, parseFieldGroups, typedAddress, bareAddress } from './report-fields';

/** A feedback report (ARF, RFC 5965): what a mailbox provider's feedback loop sends. */
export interface FeedbackReport {
  /** abuse, fraud, virus, other, not-spam, auth-failure (RFC 6591), ... lower-cased. */
  feedbackType: string;
  userAgent?: string;
  version?: string;
  /** The envelope sender of the reported message: our VERP address when it was ours. */
  originalMailFrom?: string;
  originalRcptTo: string[];
  arrivalDate?: string;
  reportingMta?: string;
  sourceIp?: string;
  reportedDomains: string[];
  /** True when the report means "the recipient did not want this": it suppresses the address. */
  complaint: boolean;
}

// auth-failure reports are DMARC/DKIM forensics and not-spam undoes a complaint: neither is one.
const COMPLAINT_TYPES = new Set(['abuse', 'fraud', 'virus']);

export function parseFeedbackReport(text: string): FeedbackReport | null {
  const group = parseFieldGroups(text)[0];
  const feedbackType = field(group, 'feedback-type')?.toLowerCase().split(/[\s;]/)[0];
  if (!group || !feedbackType) return null;
  return {
    feedbackType,
    userAgent: field(group, 'user-agent'),
    version: field(group, 'version'),
    originalMailFrom: bareAddress(field(group, 'original-mail-from')),
    originalRcptTo: (group.get('original-rcpt-to') ?? []).map((v) => bareAddress(typedAddress(v) ?? v)).filter((v): v is string => !!v),
    arrivalDate: field(group, 'arrival-date') ?? field(group, 'received-date'),
    reportingMta: typedAddress(field(group, 'reporting-mta')),
    sourceIp: field(group, 'source-ip'),
    reportedDomains: group.get('reported-domain') ?? [],
    complaint: COMPLAINT_TYPES.has(feedbackType),
  };
}

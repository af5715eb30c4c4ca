import { z } from 'zod';
import { timestamp } from '../http/openapi';

export const createDomain = z.object({ name: z.string().min(1).max(253) }).strict();
export const updateDomain = z.object({ catch_all_mailbox_id: z.string().uuid().nullable().optional(), bounce_mailbox_id: z.string().uuid().nullable().optional() }).strict();

export const dnsRecord = z.object({
  purpose: z.enum(['dkim', 'spf', 'dmarc', 'return_path', 'ownership']),
  type: z.enum(['TXT', 'MX']),
  name: z.string(),
  value: z.string(),
  priority: z.number().int().optional().describe('MX records'),
});
export const checkedRecord = dnsRecord.extend({ state: z.enum(['verified', 'missing', 'mismatch']), found: z.array(z.string()).describe('what DNS answers at that name') });

export const domainView = z.object({
  id: z.string().uuid(),
  account_id: z.string().uuid(),
  name: z.string(),
  return_path_domain: z.string(),
  verified: z.boolean().describe('ready to send: ownership proven, DKIM, SPF and the return path published'),
  verification: z.object({ ownership: z.boolean(), dkim: z.boolean(), spf: z.boolean(), dmarc: z.boolean(), return_path: z.boolean(), last_checked_at: timestamp.nullable() }),
  ownership: z.object({ verified_at: timestamp.nullable(), expires_at: timestamp.nullable(), record: dnsRecord }),
  dkim: z.array(z.object({ selector: z.string(), algorithm: z.string() })),
  catch_all_mailbox_id: z.string().uuid().nullable(),
  bounce_mailbox_id: z.string().uuid().nullable(),
  dns: z.array(dnsRecord).describe('the records to publish'),
  created_at: timestamp,
});
export const verifiedDomain = domainView.extend({
  ownership: z.object({ verified_at: timestamp.nullable(), expires_at: timestamp.nullable(), record: checkedRecord }),
  records: z.array(checkedRecord),
});

import { z } from 'zod';
import { timestamp } from '../http/openapi';

const email = z.string().min(3).max(320).describe('where notices about the account go (an endpoint disabled, say)');

export const createAccount = z.object({ name: z.string().min(1).max(200), email: email.optional() }).strict();
export const updateAccount = z
  .object({ name: z.string().min(1).max(200).optional(), send_limit_per_hour: z.number().int().min(1).nullable().optional(), email: email.nullable().optional() })
  .strict();
export const createKey = z.object({ name: z.string().max(200).optional(), scope: z.enum(['account', 'admin']).optional() }).strict();
export const createOwnKey = createKey.omit({ scope: true });

export const accountView = z.object({ id: z.string().uuid(), name: z.string(), email: z.string().nullable(), send_limit_per_hour: z.number().int().nullable(), created_at: timestamp });
export const createdAccount = accountView.omit({ send_limit_per_hour: true });
export const createdKey = z.object({
  id: z.string().uuid(),
  key: z.string().describe('the key itself, shown this once'),
  prefix: z.string(),
  name: z.string(),
  scope: z.enum(['account', 'admin']),
  account_id: z.string().uuid().nullable(),
});
export const apiKeyView = z.object({
  id: z.string().uuid(),
  name: z.string(),
  prefix: z.string().describe('the first characters, to tell keys apart'),
  scope: z.enum(['account', 'admin']),
  created_at: timestamp,
  last_used_at: timestamp.nullable(),
  revoked_at: timestamp.nullable(),
});

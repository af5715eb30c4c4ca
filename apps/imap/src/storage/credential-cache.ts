import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a verified password spares the next login its scrypt (Dovecot's auth_cache_ttl). */
export const CREDENTIAL_CACHE_TTL_MS = 60_000;
/** Mailboxes remembered at most; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

/**
 * Passwords verified lately, so a client that reconnects (or opens several connections) does not
 * pay a full scrypt each time, as Dovecot's auth cache does. What is kept per mailbox is an HMAC,
 * under a key made at random by this process and never stored, of the password together with the
 * mailbox's stored hash: a wrong password gives another MAC, and the entry is compared in constant
 * time. Because the stored hash (its random salt included) is part of what is MACed and is read
 * from the database at every login, a password changed by any process, or a mailbox deleted and
 * made again, no longer matches: nothing needs to be told across processes. Only successful
 * verifications are cached, so failures still cost a full scrypt (and count for the limiter).
 */
export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { mac: Buffer; until: number }>();
  hits = 0;
  misses = 0;

  constructor(private readonly ttlMs = CREDENTIAL_CACHE_TTL_MS) {}

  private mac(storedHash: string, password: string): Buffer {
    return createHmac('sha256', this.key).update(storedHash).update('\0').update(password, 'utf8').digest();
  }

  /** True when `password` was verified against this very `storedHash` within the TTL. */
  matches(mailboxId: string, storedHash: string, password: string): boolean {
    const entry = this.entries.get(mailboxId);
    const ok = entry !== undefined && entry.until > Date.now() && timingSafeEqual(entry.mac, this.mac(storedHash, password));
    if (ok) this.hits++;
    else this.misses++;
    return ok;
  }

  /** Remembers a password that scrypt has just verified against `storedHash`. */
  remember(mailboxId: string, storedHash: string, password: string): void {
    this.entries.delete(mailboxId);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(mailboxId, { mac: this.mac(storedHash, password), until: Date.now() + this.ttlMs });
  }
}

import { Injectable } from '@nestjs/common';
import { storableJson, storableText } from '@mailroom/common';
import { Sql } from '../sql';

/** A domain Mailroom receives mail for, as the inbound MTA routes by it. */
export interface HostedDomain {
  domainId: string;
  accountId: string;
  name: string;
  returnPathDomain: string;
  catchAllMailboxId: string | null;
  bounceMailboxId: string | null;
  /** True when the address's domain is the return-path (VERP) domain, not the sending domain. */
  isReturnPath: boolean;
  /** The mailbox with exactly this address, if any. */
  mailboxId: string | null;
}

/** The outbound message (and recipients) a VERP token points at. */
export interface ReportTarget {
  messageId: string;
  accountId: string;
  domainId: string;
  returnPathDomain: string;
  bounceMailboxId: string | null;
  messageIdHeader: string;
  recipients: Array<{ id: string; email: string; status: string }>;
}

/** What an asynchronous report does to one recipient. `deferred` only records the event. */
export interface ReportOutcome {
  recipientId: string;
  status: 'bounced' | 'blocked' | 'complained' | 'deferred';
  bounceType?: 'hard' | 'soft';
  code?: number;
  enhanced?: string;
  response?: string;
  /** What the timeline shows. */
  detail: string;
  /** Hard bounces and complaints put the address on the account's suppression list. */
  suppress: boolean;
  /** Kept with the event: source, rule, category, reporting MTA ... */
  data: Record<string, unknown>;
}

/**
 * The inbound MTA's view of the data: which addresses are hosted, what a VERP token points at,
 * and applying asynchronous bounces and complaints. Raw SQL: it answers every RCPT and report
 * of a busy MX, and applies a report in one statement like DeliveryRepository.record().
 */
@Injectable()
export class InboundRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Not tenant-scoped on purpose: routing starts from the address alone. Only a domain whose
   * ownership was proven is hosted (at most one per name: a partial unique index); a name that
   * accounts merely added is unknown here, whatever mailboxes they made on it. A mailbox matches
   * its exact address, or `user+tag@` when `user@` is a mailbox and `user+tag@` is not.
   */
  async hostedDomain(domain: string, address: string): Promise<HostedDomain | null> {
    const plus = /^([^+@]+)\+[^@]*@/.exec(address);
    const base = plus ? `${plus[1]}@${domain}` : address;
    const [row] = await this.sql.query<{
      id: string;
      account_id: string;
      name: string;
      return_path_domain: string;
      catch_all_mailbox_id: string | null;
      bounce_mailbox_id: string | null;
      mailbox_id: string | null;
    }>(
      `SELECT d.id, d.account_id, d.name, d.return_path_domain, d.catch_all_mailbox_id, d.bounce_mailbox_id,
              (SELECT m.id FROM mailboxes m WHERE m.address IN ($2, $3) AND m.domain_id = d.id ORDER BY m.address = $2 DESC LIMIT 1) AS mailbox_id
         FROM domains d WHERE (d.name = $1 OR d.return_path_domain = $1) AND d.owned_at IS NOT NULL
        ORDER BY d.return_path_domain = $1 DESC LIMIT 1`,
      [domain, address, base],
    );
    if (!row) return null;
    return {
      domainId: row.id,
      accountId: row.account_id,
      name: row.name,
      returnPathDomain: row.return_path_domain,
      catchAllMailboxId: row.catch_all_mailbox_id,
      bounceMailboxId: row.bounce_mailbox_id,
      isReturnPath: row.return_path_domain === domain && row.name !== domain,
      mailboxId: row.mailbox_id,
    };
  }

  /** The message of a recipient token (with that recipient only) or of a message token (with all). */
  async reportTarget(
    token: { kind: 'recipient'; recipientId: string } | { kind: 'message'; messageId: string; domainHash?: string },
    /** For a domain-bound message token: keeps the recipients whose domain has this tag. */
    domainMatches: (domain: string) => boolean = () => true,
  ): Promise<ReportTarget | null> {
    const rows = await this.sql.query<{
      message_id: string;
      account_id: string;
      domain_id: string;
      return_path_domain: string;
      bounce_mailbox_id: string | null;
      message_id_header: string;
      id: string;
      email: string;
      status: string;
      domain: string;
    }>(
      `SELECT m.id AS message_id, m.account_id, m.domain_id, d.return_path_domain, d.bounce_mailbox_id, m.message_id_header,
              r.id, r.email, r.status::text AS status, r.domain
         FROM recipients r JOIN messages m ON m.id = r.message_id JOIN domains d ON d.id = m.domain_id
        WHERE ${token.kind === 'recipient' ? 'r.id' : 'r.message_id'} = $1::uuid
        ORDER BY r.email`,
      [token.kind === 'recipient' ? token.recipientId : token.messageId],
    );
    const first = rows[0];
    if (!first) return null;
    const recipients = rows.filter((r) => domainMatches(r.domain));
    return {
      messageId: first.message_id,
      accountId: first.account_id,
      domainId: first.domain_id,
      returnPathDomain: first.return_path_domain,
      bounceMailboxId: first.bounce_mailbox_id,
      messageIdHeader: first.message_id_header,
      recipients: recipients.map((r) => ({ id: r.id, email: r.email, status: r.status })),
    };
  }

  /**
   * Applies reports in one statement: recipient status, the timeline event, the suppression a
   * hard bounce or complaint causes, and the day's counters. A bounce applies only to mail we
   * handed over (sending, delivered, deferred), a complaint to mail that was sent; a report
   * already applied matches nothing, so a resent report counts once. Returns what changed.
   */
  async applyReports(outcomes: ReportOutcome[]): Promise<Array<{ recipientId: string; status: string }>> {
    if (!outcomes.length) return [];
    const col = <T>(pick: (o: ReportOutcome) => T) => outcomes.map(pick);
    // Report texts come from the report (a remote MTA's words): a NUL in them must not make
    // the report unappliable, since the sender would retry it for days.
    const text = (value: string | undefined) => (value === undefined ? null : storableText(value));
    const rows = await this.sql.query<{ id: string; status: string }>(
      `WITH o AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bounce_type[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::jsonb[])
           AS o(id, kind, bounce_type, code, enhanced, response, detail, suppress, data)),
       upd AS (
         UPDATE recipients r
            SET status = o.kind::recipient_status,
                bounce_type = CASE WHEN o.kind = 'bounced' THEN o.bounce_type ELSE r.bounce_type END,
                last_code = COALESCE(o.code, r.last_code), last_enhanced = COALESCE(o.enhanced, r.last_enhanced),
                last_response = COALESCE(o.response, r.last_response), next_attempt_at = NULL, updated_at = now()
           FROM o
          WHERE r.id = o.id
            AND ((o.kind IN ('bounced', 'blocked') AND r.status IN ('sending', 'delivered', 'deferred'))
                 OR (o.kind = 'complained' AND r.status IN ('sending', 'delivered', 'deferred', 'bounced', 'blocked', 'failed')))
          RETURNING r.id, r.message_id, r.account_id, r.email, r.contact_id, o.kind, o.bounce_type, o.detail, o.suppress, o.data),
       notes AS (
         SELECT r.id, r.message_id, r.account_id, o.detail, o.data
           FROM o JOIN recipients r ON r.id = o.id
          WHERE o.kind = 'deferred' AND r.status IN ('sending', 'delivered', 'deferred')),
       events AS (
         INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data)
         SELECT message_id, id, account_id, kind::event_type, detail, data FROM upd
         UNION ALL
         SELECT message_id, id, account_id, 'deferred'::event_type, detail, data FROM notes),
       suppressed AS (
         INSERT INTO suppressions (account_id, email, reason, detail, message_id)
         SELECT DISTINCT ON (account_id, lower(email)) account_id, lower(email),
                CASE WHEN kind = 'complained' THEN 'complaint' ELSE 'hard_bounce' END::suppression_reason, detail, message_id
           FROM upd WHERE suppress
          ORDER BY account_id, lower(email), (kind = 'complained') DESC
         ON CONFLICT (account_id, email) DO NOTHING),
       -- The contact reached (named by campaign mail, else the account's contact with the
       -- address): a hard bounce makes an active one bounced, a complaint makes any complained.
       contacts_marked AS (
         UPDATE contacts c
            SET status = CASE WHEN t.complained THEN 'complained' ELSE 'bounced' END::contact_status, updated_at = now()
           FROM (SELECT id, bool_or(complained) AS complained
                   FROM (SELECT contact_id AS id, kind = 'complained' AS complained FROM upd WHERE suppress AND contact_id IS NOT NULL
                         UNION ALL
                         SELECT c2.id, upd.kind = 'complained' FROM upd JOIN contacts c2 ON c2.account_id = upd.account_id AND c2.email = lower(upd.email)
                          WHERE upd.suppress) reached
                  GROUP BY id) t
          WHERE c.id = t.id AND (c.status = 'active' OR (t.complained AND c.status <> 'complained'))),
       counts AS (
         SELECT upd.account_id, m.stream, COALESCE(m.campaign_id::text, '') AS campaign_id,
                count(*) FILTER (WHERE upd.kind = 'bounced' AND upd.bounce_type = 'hard') AS bounced_hard,
                count(*) FILTER (WHERE upd.kind = 'bounced' AND upd.bounce_type IS DISTINCT FROM 'hard') AS bounced_soft,
                count(*) FILTER (WHERE upd.kind = 'blocked') AS blocked,
                count(*) FILTER (WHERE upd.kind = 'complained') AS complained
           FROM upd JOIN messages m ON m.id = upd.message_id
          GROUP BY 1, 2, 3),
       stats AS (
         INSERT INTO daily_stats (account_id, day, stream, campaign_id, bounced_hard, bounced_soft, blocked, complained)
         SELECT account_id, (now() AT TIME ZONE 'UTC')::date, stream, campaign_id, bounced_hard, bounced_soft, blocked, complained
           FROM counts ORDER BY account_id, stream, campaign_id
         ON CONFLICT (account_id, day, stream, campaign_id) DO UPDATE SET
           bounced_hard = daily_stats.bounced_hard + EXCLUDED.bounced_hard, bounced_soft = daily_stats.bounced_soft + EXCLUDED.bounced_soft,
           blocked = daily_stats.blocked + EXCLUDED.blocked, complained = daily_stats.complained + EXCLUDED.complained)
       SELECT id, kind AS status FROM upd
       UNION ALL
       SELECT id, 'deferred' FROM notes`,
      [
        col((o) => o.recipientId),
        col((o) => o.status),
        col((o) => o.bounceType ?? null),
        col((o) => o.code ?? null),
        col((o) => text(o.enhanced)),
        col((o) => text(o.response)),
        col((o) => storableText(o.detail)),
        col((o) => o.suppress),
        col((o) => JSON.stringify(storableJson(o.data))),
      ],
    );
    return rows.map((r) => ({ recipientId: r.id, status: r.status }));
  }
}

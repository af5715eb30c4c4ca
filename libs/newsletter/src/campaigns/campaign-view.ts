import type { Campaign, CampaignRecipientRow, CampaignResultsRows } from '@mailroom/db';

/** A campaign as the API shows it. */
export function campaignView(c: Campaign) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    list_ids: c.listIds,
    exclude_list_ids: c.excludeListIds,
    segment_id: c.segmentId,
    parent_campaign_id: c.parentCampaignId,
    from: c.fromAddress,
    reply_to: c.replyTo,
    subject: c.subject,
    preheader: c.preheader,
    html: c.html,
    text: c.text,
    template_id: c.templateId,
    tags: c.tags,
    track_opens: c.trackOpens,
    track_clicks: c.trackClicks,
    send_at: c.sendAt,
    rate_per_minute: c.ratePerMinute,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    started_at: c.startedAt,
    finished_at: c.finishedAt,
  };
}

export type CampaignView = ReturnType<typeof campaignView>;

/**
 * Where dispatch stands: the frozen audience (total), how much of it was materialized into
 * messages or skipped (with why), and what is still pending.
 */
export function progressView(c: Campaign) {
  const skipped = (c.skipped ?? {}) as Record<string, number>;
  const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
  const materialized = c.enqueued + skippedTotal;
  return { total: c.total, materialized, pending: Math.max(0, c.total - materialized), messages: c.enqueued, skipped: skippedTotal, skipped_by_reason: skipped };
}

/**
 * Live results: recipients by delivery status, and engagement with people and machines (mail
 * privacy proxies, link scanners) counted apart. `sent` is messages handed to delivery;
 * `suppressed` counts both recipients found suppressed at delivery and audience members skipped
 * because their address was suppressed when their turn came.
 */
export function resultsView(c: Campaign, rows: CampaignResultsRows) {
  const count = (status: string, bounce?: string) => rows.statuses.filter((r) => r.status === status && (bounce === undefined || (r.bounce_type ?? 'hard') === bounce)).reduce((a, r) => a + r.n, 0);
  const skipped = (c.skipped ?? {}) as Record<string, number>;
  const engagement = (type: string, machine: boolean) => rows.engagement.find((e) => e.type === type && e.machine === machine) ?? { events: 0, recipients: 0 };
  const pair = (type: string) => {
    const people = engagement(type, false);
    const machines = engagement(type, true);
    return { unique: people.recipients, total: people.events, machine_unique: machines.recipients, machine_total: machines.events };
  };
  return {
    recipients: c.total,
    sent: c.enqueued,
    queued: count('queued') + count('sending'),
    delivered: count('delivered'),
    deferred: count('deferred'),
    bounced: { hard: count('bounced', 'hard'), soft: count('bounced', 'soft'), total: count('bounced') },
    blocked: count('blocked'),
    failed: count('failed'),
    suppressed: count('suppressed') + (skipped.suppressed ?? 0),
    complained: count('complained'),
    unsubscribed: engagement('unsubscribed', false).recipients + engagement('unsubscribed', true).recipients,
    opens: pair('opened'),
    clicks: pair('clicked'),
    links: rows.links.map((l) => ({ url: l.url, clicks: l.clicks, unique_clicks: l.unique_clicks, machine_clicks: l.machine_clicks })),
  };
}

export type CampaignResultsView = ReturnType<typeof resultsView>;

export function recipientView(r: CampaignRecipientRow) {
  return {
    id: r.id,
    email: r.email,
    contact_id: r.contact_id,
    message_id: r.message_id,
    status: r.status,
    bounce_type: r.bounce_type,
    attempts: r.attempts,
    last_code: r.last_code,
    last_enhanced_code: r.last_enhanced,
    last_response: r.last_response,
    updated_at: r.updated_at,
  };
}

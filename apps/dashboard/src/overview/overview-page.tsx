import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { Chart, COLORS } from '../ui/chart';
import { SelectField } from '../ui/field';
import { formatAgo, formatNumber, formatPercent } from '../ui/format';
import { ErrorNote, Loading, Page } from '../ui/page';
import { rangeQuery, RANGES, type Range } from '../ui/range';
import { Status } from '../ui/status';

/** Gmail's sender guidelines: keep the spam complaint rate below 0.3 %. */
const GMAIL_LIMIT = 0.003;

/**
 * The account at a glance: what was sent and what became of it over 24 h, 7 d or 30 d (from the
 * stats counters), complaint and bounce rates against Gmail's 0.3 % line, and whatever fails in
 * the sender-health checks, with what to do. Refreshed every 30 s.
 */
export function OverviewPage() {
  const [range, setRange] = useState<Range>('7d');
  const query = useMemo(() => rangeQuery(range), [range]);
  const stats = useQuery({ queryKey: ['stats', range], queryFn: async () => data(await api.GET('/v1/stats', { params: { query } })), refetchInterval: 30_000 });
  const health = useQuery({ queryKey: ['stats-health'], queryFn: async () => data(await api.GET('/v1/stats/health')), refetchInterval: 60_000 });
  const recent = useQuery({ queryKey: ['messages', 'recent'], queryFn: async () => data(await api.GET('/v1/messages', { params: { query: { limit: 8 } } })), refetchInterval: 30_000 });

  const charts = useMemo(() => {
    if (!stats.data) return null;
    const b = stats.data.buckets;
    const times = b.map((x) => Date.parse(x.start) / 1000);
    const rate = (n: number, d: number) => (d > 0 ? (100 * n) / d : null);
    return {
      times,
      delivery: [
        { label: 'sent', color: COLORS.accepted, values: b.map((x) => x.accepted) },
        { label: 'delivered', color: COLORS.delivered, values: b.map((x) => x.delivered) },
        { label: 'bounced', color: COLORS.bounced, values: b.map((x) => x.bounced) },
        { label: 'blocked', color: COLORS.blocked, values: b.map((x) => x.blocked) },
        { label: 'complained', color: COLORS.complained, values: b.map((x) => x.complained) },
      ],
      engagement: [
        { label: 'opened (people)', color: COLORS.opened, values: b.map((x) => x.opened) },
        { label: 'clicked (people)', color: COLORS.clicked, values: b.map((x) => x.clicked) },
      ],
      rates: [
        { label: 'complaint rate', color: COLORS.complained, values: b.map((x) => rate(x.complained, x.delivered)) },
        { label: 'bounce rate', color: COLORS.bounced, values: b.map((x) => rate(x.bounced, x.accepted)) },
        { label: 'Gmail limit 0.3 %', color: COLORS.limit, dash: [6, 4], values: b.map(() => GMAIL_LIMIT * 100) },
      ],
    };
  }, [stats.data]);

  const t = stats.data?.totals;
  const complaintRate = t && t.delivered ? t.complained / t.delivered : 0;
  const bounceRate = t && t.accepted ? t.bounced / t.accepted : 0;
  const problems = (health.data?.domains ?? []).flatMap((d) => d.checks.filter((c) => c.status !== 'ok').map((c) => ({ domain: d.domain, domainId: d.domain_id, ...c })));

  return (
    <Page title="Overview" actions={<SelectField label="Period" value={range} onChange={(e) => setRange(e.target.value as Range)} options={RANGES} />}>
      <ErrorNote error={stats.error} />
      {stats.isPending ? <Loading /> : null}
      {t ? (
        <ul className="figures" aria-label="Totals for the period">
          {(
            [
              ['Sent', t.accepted],
              ['Delivered', t.delivered],
              ['Bounced', t.bounced],
              ['Blocked', t.blocked],
              ['Complained', t.complained],
              ['Opened', t.opened],
              ['Clicked', t.clicked],
            ] as const
          ).map(([label, value]) => (
            <li key={label}>
              <strong>{formatNumber(value)}</strong> {label}
            </li>
          ))}
          <li className={complaintRate >= GMAIL_LIMIT ? 'over' : undefined}>
            <strong>{formatPercent(complaintRate)}</strong> complaint rate {complaintRate >= GMAIL_LIMIT ? '(over Gmail\'s 0.3 %)' : ''}
          </li>
          <li>
            <strong>{formatPercent(bounceRate)}</strong> bounce rate
          </li>
        </ul>
      ) : null}
      {charts ? (
        <div className="charts">
          <Chart title="Delivery" times={charts.times} series={charts.delivery} />
          <Chart title="Complaint and bounce rates against Gmail's 0.3 % line" times={charts.times} series={charts.rates} percent />
          <Chart title="Engagement" times={charts.times} series={charts.engagement} />
        </div>
      ) : null}
      <section aria-labelledby="health-title" className="card">
        <h2 id="health-title">Sender health</h2>
        {health.isPending ? <Loading /> : null}
        <ErrorNote error={health.error} />
        {health.data && health.data.domains.length === 0 ? (
          <p>
            No sending domain yet. <Link href="/domains">Add one</Link> and publish its DNS records.
          </p>
        ) : null}
        {health.data && health.data.domains.length > 0 && problems.length === 0 ? <p>Every check passes on {health.data.domains.length === 1 ? 'your sending domain' : `all ${health.data.domains.length} domains`}.</p> : null}
        {problems.length ? (
          <ul className="checks">
            {problems.map((p) => (
              <li key={`${p.domainId}:${p.check}`}>
                <Status value={p.status === 'failing' ? 'failed' : 'pending'} /> <Link href={`/domains/${p.domainId}`}>{p.domain}</Link> — {p.check.replace(/_/g, ' ')}: {p.why}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section aria-labelledby="recent-title" className="card">
        <h2 id="recent-title">Latest messages</h2>
        {recent.isPending ? <Loading /> : null}
        <ErrorNote error={recent.error} />
        {recent.data ? (
          <ul className="plain">
            {recent.data.data.map((m) => (
              <li key={m.id}>
                <Link href={`/messages/${m.id}`}>{m.subject || '(no subject)'}</Link> to {m.recipients[0]?.email} <Status value={m.recipients[0]?.status ?? 'queued'} /> <span className="muted">{formatAgo(m.created_at)}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
    </Page>
  );
}

import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { formatAgo } from '../ui/format';
import { ErrorNote, Loading, Page } from '../ui/page';
import { Status } from '../ui/status';

/**
 * The account at a glance: sender health (domains ready to send, what to fix) and the latest
 * messages, refreshed every 30 s.
 */
export function OverviewPage() {
  const domains = useQuery({ queryKey: ['domains'], queryFn: async () => data(await api.GET('/v1/domains')), refetchInterval: 30_000 });
  const recent = useQuery({ queryKey: ['messages', 'recent'], queryFn: async () => data(await api.GET('/v1/messages', { params: { query: { limit: 10 } } })), refetchInterval: 30_000 });
  const problems = (domains.data ?? []).filter((d) => !d.verified);
  return (
    <Page title="Overview">
      <section aria-labelledby="health-title" className="card">
        <h2 id="health-title">Sender health</h2>
        {domains.isPending ? <Loading /> : null}
        <ErrorNote error={domains.error} />
        {domains.data && domains.data.length === 0 ? (
          <p>
            No sending domain yet. <Link href="/domains">Add one</Link> and publish its DNS records.
          </p>
        ) : null}
        {domains.data && domains.data.length > 0 && problems.length === 0 ? <p>All {domains.data.length} domains are verified and ready to send.</p> : null}
        {problems.length ? (
          <ul className="checks">
            {problems.map((d) => (
              <li key={d.id}>
                <Status value="pending" /> <Link href={`/domains/${d.id}`}>{d.name}</Link>: publish{' '}
                {(['ownership', 'dkim', 'spf', 'return_path'] as const).filter((k) => !d.verification[k]).map((k) => k.replace('_', ' ')).join(', ') || 'the records'} and verify.
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

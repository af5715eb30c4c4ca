import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { formatDate, formatNumber } from '../ui/format';
import { Page } from '../ui/page';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';

const LIVE = new Set(['sending', 'paused', 'scheduled']);

/** Campaigns newest first, with state; those under way show their progress live. */
export function CampaignsPage() {
  const { canWrite } = useSession();
  const list = useQuery({ queryKey: ['campaigns'], queryFn: async () => data(await api.GET('/v1/campaigns', { params: { query: { limit: 50 } } })), refetchInterval: 10_000 });
  return (
    <Page title="Campaigns" actions={canWrite ? <Link href="/campaigns/new" className="button">New campaign</Link> : null}>
      <QueryTable
        pending={list.isPending}
        error={list.error}
        rows={list.data?.data}
        empty="No campaign yet."
        columns={['Campaign', 'State', 'Progress', 'Subject', 'Created']}
        row={(c) => (
          <tr key={c.id}>
            <th scope="row">
              <Link href={`/campaigns/${c.id}`}>{c.name}</Link>
            </th>
            <td>
              <Status value={c.status} />
            </td>
            <td>{LIVE.has(c.status) ? <LiveProgress id={c.id} /> : c.status === 'sent' ? `finished ${formatDate(c.finished_at)}` : '—'}</td>
            <td>{c.subject}</td>
            <td>{formatDate(c.created_at)}</td>
          </tr>
        )}
      />
    </Page>
  );
}

function LiveProgress({ id }: { id: string }) {
  const detail = useQuery({ queryKey: ['campaigns', id], queryFn: async () => data(await api.GET('/v1/campaigns/{id}', { params: { path: { id } } })), refetchInterval: 5000 });
  if (!detail.data) return null;
  const p = detail.data.progress;
  return (
    <span>
      <progress max={Math.max(1, p.total)} value={p.materialized} aria-label="Dispatched" /> {formatNumber(p.materialized)} / {formatNumber(p.total)}
    </span>
  );
}

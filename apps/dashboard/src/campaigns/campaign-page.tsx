import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { ConfirmButton } from '../ui/confirm-button';
import { Fact } from '../ui/facts';
import { Field } from '../ui/field';
import { formatDate, formatNumber, formatPercent } from '../ui/format';
import { BackLink, Empty, ErrorNote, Loading, Page } from '../ui/page';
import { InlineForm } from '../ui/inline-form';
import { Status } from '../ui/status';
import { Table } from '../ui/table';

/**
 * A campaign: state and live progress while it sends (polled every 3 s), the results (delivered,
 * bounced, unsubscribed, opens and clicks by people and by machines, clicks per link), the
 * undelivered recipients and "send again to those", and the actions its state allows.
 */
export function CampaignPage({ id }: { id: string }) {
  const { canWrite } = useSession();
  const [, navigate] = useLocation();
  const [testTo, setTestTo] = useState('');
  const [tested, setTested] = useState('');
  const campaign = useQuery({
    queryKey: ['campaigns', id],
    queryFn: async () => data(await api.GET('/v1/campaigns/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (['sending', 'scheduled', 'paused'].includes(query.state.data?.status ?? '') ? 3000 : false),
  });
  const undelivered = useQuery({
    queryKey: ['campaigns', id, 'undelivered'],
    queryFn: async () => data(await api.GET('/v1/campaigns/{id}/recipients', { params: { path: { id }, query: { status: 'undelivered', limit: 100 } } })),
    enabled: campaign.data !== undefined && campaign.data.status !== 'draft',
  });
  const refresh = useRefresh('campaigns');
  const action = useMutation({
    mutationFn: async (what: 'send' | 'pause' | 'resume' | 'cancel') => {
      const path = { params: { path: { id } } };
      if (what === 'send') return data(await api.POST('/v1/campaigns/{id}/send', path));
      if (what === 'pause') return data(await api.POST('/v1/campaigns/{id}/pause', path));
      if (what === 'resume') return data(await api.POST('/v1/campaigns/{id}/resume', path));
      return data(await api.POST('/v1/campaigns/{id}/cancel', path));
    },
    onSuccess: refresh,
  });
  const test = useMutation({
    mutationFn: async () => data(await api.POST('/v1/campaigns/{id}/test', { params: { path: { id } }, body: { emails: testTo.split(/[\s,]+/).filter(Boolean) } })),
    onSuccess: (answer) => setTested(`Test sent to ${answer.data.map((t) => t.email).join(', ')}.`),
  });
  const resend = useMutation({
    mutationFn: async () => data(await api.POST('/v1/campaigns/{id}/resend-failed', { params: { path: { id } } })),
    onSuccess: (copy) => {
      refresh();
      navigate(`/campaigns/${copy.id}/edit`);
    },
  });
  if (campaign.isPending) return <Loading />;
  if (campaign.error) return <ErrorNote error={campaign.error} />;
  const c = campaign.data;
  const p = c.progress;
  const r = c.results;
  const rate = (n: number) => (r.delivered ? formatPercent(n / r.delivered) : '—');
  return (
    <Page
      title={c.name}
      actions={
        canWrite ? (
          <div className="actions">
            {c.status === 'draft' || c.status === 'scheduled' ? (
              <Link href={`/campaigns/${id}/edit`} className="button secondary">
                Edit
              </Link>
            ) : null}
            {c.status === 'draft' ? (
              <ConfirmButton confirm={c.send_at ? `Schedule for ${formatDate(c.send_at)}?` : 'Send this campaign now?'} onConfirm={() => action.mutate('send')}>
                {c.send_at ? 'Schedule' : 'Send now'}
              </ConfirmButton>
            ) : null}
            {c.status === 'sending' ? (
              <button type="button" className="secondary" onClick={() => action.mutate('pause')}>
                Pause
              </button>
            ) : null}
            {c.status === 'paused' ? (
              <button type="button" onClick={() => action.mutate('resume')}>
                Resume
              </button>
            ) : null}
            {['scheduled', 'sending', 'paused'].includes(c.status) ? (
              <ConfirmButton className="danger" confirm="Cancel this campaign for good?" onConfirm={() => action.mutate('cancel')}>
                Cancel campaign
              </ConfirmButton>
            ) : null}
          </div>
        ) : null
      }
    >
      <BackLink href="/campaigns">All campaigns</BackLink>
      <ErrorNote error={action.error ?? resend.error} />
      <dl className="facts">
        <Fact term="State">
          <Status value={c.status} /> {c.status === 'scheduled' ? `for ${formatDate(c.send_at)}` : ''}
        </Fact>
        <Fact term="Subject">{c.subject}</Fact>
        <Fact term="From">{c.from}</Fact>
        <Fact term="Started">{formatDate(c.started_at)}</Fact>
        <Fact term="Finished">{formatDate(c.finished_at)}</Fact>
      </dl>
      {c.status !== 'draft' ? (
        <section className="card" aria-labelledby="progress-title">
          <h2 id="progress-title">Progress</h2>
          <progress max={Math.max(1, p.total)} value={p.materialized} aria-label="Dispatched to delivery" />
          <p role="status" aria-live="polite">
            {formatNumber(p.materialized)} of {formatNumber(p.total)} recipients dispatched ({formatNumber(p.messages)} messages, {formatNumber(p.skipped)} skipped, {formatNumber(p.pending)} waiting).
          </p>
        </section>
      ) : null}
      {c.status !== 'draft' ? (
        <section aria-labelledby="results-title">
          <h2 id="results-title">Results</h2>
          <ul className="figures">
            <li>
              <strong>{formatNumber(r.delivered)}</strong> delivered
            </li>
            <li>
              <strong>{formatNumber(r.bounced.total)}</strong> bounced ({formatNumber(r.bounced.hard)} hard)
            </li>
            <li>
              <strong>{formatNumber(r.blocked)}</strong> blocked
            </li>
            <li>
              <strong>{formatNumber(r.failed + r.suppressed)}</strong> failed or suppressed
            </li>
            <li>
              <strong>{formatNumber(r.complained)}</strong> complained
            </li>
            <li>
              <strong>{formatNumber(r.unsubscribed)}</strong> unsubscribed
            </li>
            <li>
              <strong>{formatNumber(r.opens.unique)}</strong> opened ({rate(r.opens.unique)}); machines {formatNumber(r.opens.machine_unique)}
            </li>
            <li>
              <strong>{formatNumber(r.clicks.unique)}</strong> clicked ({rate(r.clicks.unique)}); machines {formatNumber(r.clicks.machine_unique)}
            </li>
          </ul>
          {r.links.length ? (
            <Table caption="Clicks per link" columns={['Link', 'People', 'Clicks', 'Machines']}>
              {r.links.map((l) => (
                <tr key={l.url}>
                  <th scope="row" className="wrap">
                    {l.url}
                  </th>
                  <td>{formatNumber(l.unique_clicks)}</td>
                  <td>{formatNumber(l.clicks)}</td>
                  <td>{formatNumber(l.machine_clicks)}</td>
                </tr>
              ))}
            </Table>
          ) : null}
        </section>
      ) : null}
      {canWrite && (c.status === 'draft' || c.status === 'scheduled') ? (
        <InlineForm className="inline-form card" label="Send a test" onSubmit={() => test.mutate()} submit="Send test" buttonClassName="secondary" pending={test.isPending} status={tested} error={test.error}>
          <Field label="Test addresses" value={testTo} onChange={(e) => setTestTo(e.target.value)} placeholder="you@example.com, colleague@example.com" required />
        </InlineForm>
      ) : null}
      {undelivered.data ? (
        <section aria-labelledby="undelivered-title">
          <h2 id="undelivered-title">Undelivered recipients</h2>
          {undelivered.data.data.length === 0 ? (
            <Empty>None.</Empty>
          ) : (
            <>
              {canWrite && ['sent', 'cancelled'].includes(c.status) ? (
                <button type="button" className="secondary" onClick={() => resend.mutate()}>
                  Send again to those that bounced, were blocked or failed
                </button>
              ) : null}
              <Table columns={['Recipient', 'Status', 'Reply']}>
                {undelivered.data.data.map((u) => (
                  <tr key={u.id}>
                    <th scope="row">{u.message_id ? <Link href={`/messages/${u.message_id}`}>{u.email}</Link> : u.email}</th>
                    <td>
                      <Status value={u.status} />
                    </td>
                    <td className="muted">{u.last_response ?? '—'}</td>
                  </tr>
                ))}
              </Table>
            </>
          )}
        </section>
      ) : null}
    </Page>
  );
}

import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { ConfirmButton } from '../ui/confirm-button';
import { SelectField } from '../ui/field';
import { formatDate } from '../ui/format';
import { BackLink, ErrorNote, Loading, Page } from '../ui/page';
import { Pager, useCursors } from '../ui/pager';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';

type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
const TONE: Record<DeliveryStatus, string> = { pending: 'queued', succeeded: 'delivered', failed: 'failed' };

/** One endpoint: its delivery log (with each attempt's answer), replay, a test event, enable or delete. */
export function WebhookPage({ id }: { id: string }) {
  const { canWrite } = useSession();
  const [, navigate] = useLocation();
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const pages = useCursors();
  const [note, setNote] = useState('');
  const cursor = pages.cursor;
  const hook = useQuery({ queryKey: ['webhooks', id], queryFn: async () => data(await api.GET('/v1/webhooks/{id}', { params: { path: { id } } })) });
  const deliveries = useQuery({
    queryKey: ['webhooks', id, 'deliveries', status, cursor],
    queryFn: async () => data(await api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 50, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } } })),
    placeholderData: keepPreviousData,
    refetchInterval: cursor ? false : 10_000,
  });
  const refresh = useRefresh('webhooks');
  const test = useMutation({ mutationFn: async () => data(await api.POST('/v1/webhooks/{id}/test', { params: { path: { id } } })), onSuccess: () => (setNote('Test event queued.'), refresh()) });
  const replay = useMutation({
    mutationFn: async (deliveryId: string) => data(await api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/replay', { params: { path: { id, deliveryId } } })),
    onSuccess: () => (setNote('Delivery queued again.'), refresh()),
  });
  const enable = useMutation({ mutationFn: async (enabled: boolean) => data(await api.PATCH('/v1/webhooks/{id}', { params: { path: { id } }, body: { enabled } })), onSuccess: refresh });
  const remove = useMutation({ mutationFn: async () => data(await api.DELETE('/v1/webhooks/{id}', { params: { path: { id } } })), onSuccess: () => (refresh(), navigate('/webhooks')) });
  if (hook.isPending) return <Loading />;
  if (hook.error) return <ErrorNote error={hook.error} />;
  const h = hook.data;
  return (
    <Page
      title={h.url}
      actions={
        canWrite ? (
          <div className="actions">
            <button type="button" className="secondary" onClick={() => test.mutate()}>
              Send test event
            </button>
            <button type="button" className="secondary" onClick={() => enable.mutate(!h.enabled)}>
              {h.enabled ? 'Disable' : 'Enable'}
            </button>
            <ConfirmButton className="danger" confirm="Delete this endpoint?" onConfirm={() => remove.mutate()}>
              Delete
            </ConfirmButton>
          </div>
        ) : null
      }
    >
      <BackLink href="/webhooks">All endpoints</BackLink>
      <ErrorNote error={test.error ?? replay.error ?? enable.error ?? remove.error} />
      {note ? <p role="status">{note}</p> : null}
      <p>
        <Status value={h.enabled ? 'active' : 'cancelled'} /> {h.events.join(', ')} {h.disabled_reason ? `— ${h.disabled_reason}` : ''}
      </p>
      <h2>Delivery log</h2>
      <SelectField label="Status" value={status} onChange={(e) => (pages.reset(), setStatus(e.target.value as DeliveryStatus | ''))} options={[{ value: '', label: 'any' }, { value: 'pending', label: 'pending' }, { value: 'succeeded', label: 'succeeded' }, { value: 'failed', label: 'failed' }]} />
      <QueryTable
        pending={deliveries.isPending}
        error={deliveries.error}
        rows={deliveries.data?.data}
        empty="No delivery."
        columns={['Event', 'Status', 'Attempts', 'Last answer', 'When']}
        hiddenColumn={canWrite && 'Actions'}
        row={(d) => (
          <tr key={d.id}>
            <th scope="row">{d.event_type}</th>
            <td>
              <Status value={TONE[d.status]} /> {d.next_attempt_at && d.status === 'pending' ? <span className="muted">next {formatDate(d.next_attempt_at)}</span> : null}
            </td>
            <td>{d.attempts}</td>
            <td className="wrap">
              {d.last_status_code ?? ''} {d.last_error ?? d.last_response ?? ''} {d.last_duration_ms !== null ? <span className="muted">({d.last_duration_ms} ms)</span> : null}
            </td>
            <td>{formatDate(d.last_attempt_at ?? d.created_at)}</td>
            {canWrite ? (
              <td>
                <button type="button" className="small secondary" onClick={() => replay.mutate(d.id)} aria-label={`Replay ${d.event_type} delivery`}>
                  Replay
                </button>
              </td>
            ) : null}
          </tr>
        )}
      />
      <Pager pages={pages} next={deliveries.data?.next_cursor} />
    </Page>
  );
}

import { useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { Field, SelectField } from '../ui/field';
import { formatDate } from '../ui/format';
import { InlineForm } from '../ui/inline-form';
import { Page } from '../ui/page';
import { Pager, useCursors } from '../ui/pager';
import { QueryTable } from '../ui/table';

const REASONS = ['hard_bounce', 'complaint', 'unsubscribe', 'manual'] as const;
type Reason = (typeof REASONS)[number];

/** Addresses never sent to: search (by reason, or one address), add, remove, export as CSV. */
export function SuppressionsPage() {
  const { canWrite } = useSession();
  const [reason, setReason] = useState<Reason | ''>('');
  const pages = useCursors();
  const [lookup, setLookup] = useState('');
  const [found, setFound] = useState<{ email: string; reason: string } | null | undefined>(undefined);
  const [email, setEmail] = useState('');
  const cursor = pages.cursor;
  const list = useQuery({
    queryKey: ['suppressions', reason, cursor],
    queryFn: async () => data(await api.GET('/v1/suppressions', { params: { query: { limit: 100, ...(reason ? { reason } : {}), ...(cursor ? { cursor } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  const refresh = useRefresh('suppressions');
  const add = useMutation({ mutationFn: async (address: string) => data(await api.POST('/v1/suppressions', { body: { email: address, reason: 'manual' } })), onSuccess: () => (setEmail(''), refresh()) });
  const remove = useMutation({ mutationFn: async (address: string) => data(await api.DELETE('/v1/suppressions/{email}', { params: { path: { email: address } } })), onSuccess: refresh });
  const search = async (event: FormEvent) => {
    event.preventDefault();
    const result = await api.GET('/v1/suppressions/{email}', { params: { path: { email: lookup.trim() } } });
    setFound(result.response.ok ? (result.data ?? null) : null);
  };
  const exportCsv = async () => {
    const rows = ['email,reason,detail,created_at'];
    let next: string | undefined;
    do {
      const page = data(await api.GET('/v1/suppressions', { params: { query: { limit: 500, ...(reason ? { reason } : {}), ...(next ? { cursor: next } : {}) } } }));
      for (const s of page.data) rows.push([s.email, s.reason, s.detail ?? '', s.created_at].map((v) => `"${String(v).replace(/"/g, '""')}"`).join(','));
      next = page.next_cursor ?? undefined;
    } while (next);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([`${rows.join('\n')}\n`], { type: 'text/csv' }));
    link.download = 'suppressions.csv';
    link.click();
    URL.revokeObjectURL(link.href);
  };
  return (
    <Page title="Suppressions" actions={<button type="button" className="secondary" onClick={() => void exportCsv()}>Export CSV</button>}>
      <form className="filters" role="search" aria-label="Find an address" onSubmit={search}>
        <Field label="Address" type="search" value={lookup} onChange={(e) => setLookup(e.target.value)} required />
        <button type="submit">Find</button>
        {found === null ? <p role="status">{lookup} is not suppressed.</p> : null}
        {found ? <p role="status">{found.email} is suppressed ({found.reason}).</p> : null}
      </form>
      {canWrite ? (
        <InlineForm label="Suppress an address" onSubmit={() => add.mutate(email.trim())} submit="Add" error={add.error}>
          <Field label="Suppress address" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </InlineForm>
      ) : null}
      <SelectField label="Reason" value={reason} onChange={(e) => (pages.reset(), setReason(e.target.value as Reason | ''))} options={[{ value: '', label: 'any' }, ...REASONS.map((r) => ({ value: r, label: r.replace('_', ' ') }))]} />
      <QueryTable
        pending={list.isPending}
        error={list.error ?? remove.error}
        rows={list.data?.data}
        empty="No suppressed address."
        columns={['Address', 'Reason', 'Detail', 'Since']}
        hiddenColumn={canWrite && 'Actions'}
        row={(s) => (
          <tr key={s.email}>
            <th scope="row">{s.email}</th>
            <td>{s.reason.replace('_', ' ')}</td>
            <td>{s.detail ?? '—'}</td>
            <td>{formatDate(s.created_at)}</td>
            {canWrite ? (
              <td>
                <button type="button" className="small secondary" onClick={() => remove.mutate(s.email)} aria-label={`Remove ${s.email}`}>
                  Remove
                </button>
              </td>
            ) : null}
          </tr>
        )}
      />
      <Pager pages={pages} next={list.data?.next_cursor} back="Previous" forward="Next" />
    </Page>
  );
}

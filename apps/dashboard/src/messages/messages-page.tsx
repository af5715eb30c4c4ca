import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import type { paths } from '../api/schema';
import { Field, SelectField } from '../ui/field';
import { formatAgo } from '../ui/format';
import { Page } from '../ui/page';
import { Pager, useCursors } from '../ui/pager';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';

type Query = NonNullable<paths['/v1/messages']['get']['parameters']['query']>;
const STATUSES = ['queued', 'sending', 'delivered', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'complained'] as const;

/** Messages newest first, searched by recipient, status, tag, stream and day; cursor-paged; refreshed every 10 s. */
export function MessagesPage() {
  const [form, setForm] = useState({ recipient: '', status: '', tag: '', stream: '', from: '', to: '' });
  const [filter, setFilter] = useState<Query>({ limit: 50 });
  const pages = useCursors();
  const cursor = pages.cursor;
  const messages = useQuery({
    queryKey: ['messages', filter, cursor],
    queryFn: async () => data(await api.GET('/v1/messages', { params: { query: { ...filter, cursor } } })),
    placeholderData: keepPreviousData,
    refetchInterval: cursor ? false : 10_000,
  });
  const search = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setFilter({
      limit: 50,
      ...(form.recipient ? { recipient: form.recipient.trim() } : {}),
      ...(form.status ? { status: form.status as Query['status'] } : {}),
      ...(form.tag ? { tag: form.tag.trim() } : {}),
      ...(form.stream ? { stream: form.stream as Query['stream'] } : {}),
      // Dates are days in the browser's time zone; `to` includes its whole day.
      ...(form.from ? { from: new Date(`${form.from}T00:00:00`).toISOString() } : {}),
      ...(form.to ? { to: new Date(new Date(`${form.to}T00:00:00`).getTime() + 86_400_000).toISOString() } : {}),
    });
  };
  return (
    <Page title="Messages">
      <form className="filters" onSubmit={search} role="search" aria-label="Search messages">
        <Field label="Recipient" type="search" value={form.recipient} onChange={(e) => setForm({ ...form, recipient: e.target.value })} placeholder="ann@example.net" />
        <SelectField label="Status" value={form.status} onChange={(e) => setForm({ ...form, status: e.target.value })} options={[{ value: '', label: 'any' }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
        <Field label="Tag" value={form.tag} onChange={(e) => setForm({ ...form, tag: e.target.value })} />
        <SelectField label="Stream" value={form.stream} onChange={(e) => setForm({ ...form, stream: e.target.value })} options={[{ value: '', label: 'any' }, { value: 'transactional', label: 'transactional' }, { value: 'broadcast', label: 'broadcast' }]} />
        <Field label="From day" type="date" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        <Field label="To day" type="date" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        <button type="submit">Search</button>
      </form>
      <QueryTable
        pending={messages.isPending}
        error={messages.error}
        rows={messages.data?.data}
        empty="No message matches."
        caption="Messages, newest first"
        captionHidden
        columns={['Subject', 'To', 'Status', 'Stream', 'Sent']}
        row={(m) => (
          <tr key={m.id}>
            <th scope="row">
              <Link href={`/messages/${m.id}`}>{m.subject || '(no subject)'}</Link>
            </th>
            <td>
              {m.recipients[0]?.email}
              {m.recipients.length > 1 ? ` +${m.recipients.length - 1}` : ''}
            </td>
            <td>
              {[...new Set(m.recipients.map((r) => r.status))].map((s) => (
                <Status key={s} value={s} />
              ))}
            </td>
            <td>{m.stream}</td>
            <td>{formatAgo(m.created_at)}</td>
          </tr>
        )}
      />
      <Pager pages={pages} next={messages.data?.next_cursor} />
    </Page>
  );
}

import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { Field, SelectField } from '../ui/field';
import { formatDate } from '../ui/format';
import { Page } from '../ui/page';
import { Pager, useCursors } from '../ui/pager';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';

const STATUSES = ['active', 'unsubscribed', 'bounced', 'complained'] as const;
type ContactStatus = (typeof STATUSES)[number];

/** Contacts newest first, searched by address, list and status; cursor-paged. */
export function ContactsPage() {
  const initialList = new URLSearchParams(window.location.search).get('list') ?? '';
  const [form, setForm] = useState({ email: '', status: '', list: initialList });
  const [filter, setFilter] = useState({ email: '', status: '', list: initialList });
  const pages = useCursors();
  const cursor = pages.cursor;
  const lists = useQuery({ queryKey: ['lists'], queryFn: async () => data(await api.GET('/v1/lists')) });
  const contacts = useQuery({
    queryKey: ['contacts', filter, cursor],
    queryFn: async () =>
      data(
        await api.GET('/v1/contacts', {
          params: {
            query: {
              limit: 50,
              ...(filter.email ? { email: filter.email } : {}),
              ...(filter.status ? { status: filter.status as ContactStatus } : {}),
              ...(filter.list ? { list_id: filter.list } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const search = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setFilter({ ...form, email: form.email.trim() });
  };
  return (
    <Page title="Contacts">
      <form className="filters" role="search" aria-label="Search contacts" onSubmit={search}>
        <Field label="Address" type="search" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        <SelectField label="List" value={form.list} onChange={(e) => setForm({ ...form, list: e.target.value })} options={[{ value: '', label: 'any' }, ...(lists.data ?? []).map((l) => ({ value: l.id, label: l.name }))]} />
        <SelectField label="Status" value={form.status} onChange={(e) => setForm({ ...form, status: e.target.value })} options={[{ value: '', label: 'any' }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
        <button type="submit">Search</button>
      </form>
      <QueryTable
        pending={contacts.isPending}
        error={contacts.error}
        rows={contacts.data?.data}
        empty="No contact matches."
        columns={['Address', 'Status', 'Name', 'Added']}
        row={(c) => (
          <tr key={c.id}>
            <th scope="row">
              <Link href={`/contacts/${c.id}`}>{c.email}</Link>
            </th>
            <td>
              <Status value={c.status} />
            </td>
            <td>{typeof c.attributes.name === 'string' ? c.attributes.name : '—'}</td>
            <td>{formatDate(c.created_at)}</td>
          </tr>
        )}
      />
      <Pager pages={pages} next={contacts.data?.next_cursor} />
    </Page>
  );
}

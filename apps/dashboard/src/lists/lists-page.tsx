import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { Field, SelectField } from '../ui/field';
import { formatNumber } from '../ui/format';
import { InlineForm } from '../ui/inline-form';
import { Page } from '../ui/page';
import { QueryTable } from '../ui/table';
import { CsvImport } from './csv-import';

/** Lists with their member counts; create one; import contacts (onto a list) from CSV. */
export function ListsPage() {
  const { canWrite } = useSession();
  const [name, setName] = useState('');
  const [optIn, setOptIn] = useState<'single' | 'double'>('single');
  const refresh = useRefresh('lists');
  const lists = useQuery({ queryKey: ['lists'], queryFn: async () => data(await api.GET('/v1/lists')), refetchInterval: 30_000 });
  const create = useMutation({
    mutationFn: async () => data(await api.POST('/v1/lists', { body: { name: name.trim(), opt_in: optIn } })),
    onSuccess: () => (setName(''), refresh()),
  });
  return (
    <Page title="Lists" actions={<Link href="/contacts">Search contacts →</Link>}>
      {canWrite ? (
        <InlineForm label="Create a list" onSubmit={() => create.mutate()} submit="Create list" pending={create.isPending} error={create.error}>
          <Field label="List name" required value={name} onChange={(e) => setName(e.target.value)} />
          <SelectField label="Opt-in" value={optIn} onChange={(e) => setOptIn(e.target.value as 'single' | 'double')} options={[{ value: 'single', label: 'single' }, { value: 'double', label: 'double (confirmation mail)' }]} />
        </InlineForm>
      ) : null}
      <QueryTable
        pending={lists.isPending}
        error={lists.error}
        rows={lists.data}
        empty="No list yet."
        columns={['List', 'Opt-in', 'Subscribed', 'Unconfirmed', 'Unsubscribed']}
        hiddenColumn="Export"
        row={(l) => (
          <tr key={l.id}>
            <th scope="row">
              <Link href={`/contacts?list=${l.id}`}>{l.name}</Link>
            </th>
            <td>{l.opt_in}</td>
            <td>{formatNumber(l.counts?.subscribed ?? 0)}</td>
            <td>{formatNumber(l.counts?.unconfirmed ?? 0)}</td>
            <td>{formatNumber(l.counts?.unsubscribed ?? 0)}</td>
            <td>
              <a href={`/v1/lists/${l.id}/export.csv`} download aria-label={`Export ${l.name} as CSV`}>
                Export CSV
              </a>
            </td>
          </tr>
        )}
      />
      {canWrite ? <CsvImport lists={lists.data ?? []} /> : null}
    </Page>
  );
}

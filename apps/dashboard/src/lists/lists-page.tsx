import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { Field, SelectField } from '../ui/field';
import { formatNumber } from '../ui/format';
import { Empty, ErrorNote, Loading, Page } from '../ui/page';
import { CsvImport } from './csv-import';

/** Lists with their member counts; create one; import contacts (onto a list) from CSV. */
export function ListsPage() {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [optIn, setOptIn] = useState<'single' | 'double'>('single');
  const [importTo, setImportTo] = useState('');
  const lists = useQuery({ queryKey: ['lists'], queryFn: async () => data(await api.GET('/v1/lists')), refetchInterval: 30_000 });
  const create = useMutation({
    mutationFn: async () => data(await api.POST('/v1/lists', { body: { name: name.trim(), opt_in: optIn } })),
    onSuccess: () => (setName(''), void queryClient.invalidateQueries({ queryKey: ['lists'] })),
  });
  return (
    <Page title="Lists" actions={<Link href="/contacts">Search contacts →</Link>}>
      {canWrite ? (
        <form className="inline-form" aria-label="Create a list" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Field label="List name" required value={name} onChange={(e) => setName(e.target.value)} />
          <SelectField label="Opt-in" value={optIn} onChange={(e) => setOptIn(e.target.value as 'single' | 'double')} options={[{ value: 'single', label: 'single' }, { value: 'double', label: 'double (confirmation mail)' }]} />
          <button type="submit" disabled={create.isPending}>
            Create list
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      {lists.isPending ? <Loading /> : null}
      <ErrorNote error={lists.error} />
      {lists.data?.length === 0 ? <Empty>No list yet.</Empty> : null}
      {lists.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">List</th>
                <th scope="col">Opt-in</th>
                <th scope="col">Subscribed</th>
                <th scope="col">Unconfirmed</th>
                <th scope="col">Unsubscribed</th>
                <th scope="col">
                  <span className="visually-hidden">Export</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lists.data.map((l) => (
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
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {canWrite ? (
        <>
          <SelectField label="Import onto list" value={importTo} onChange={(e) => setImportTo(e.target.value)} options={[{ value: '', label: 'no list (contacts only)' }, ...(lists.data ?? []).map((l) => ({ value: l.id, label: l.name }))]} />
          <CsvImport listId={importTo || undefined} />
        </>
      ) : null}
    </Page>
  );
}

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { Empty, ErrorNote, Loading, Page } from '../ui/page';
import { SecretOnce } from '../ui/secret-once';
import { Status } from '../ui/status';

/** The account's API keys: create (the key is shown once), see when each was used, revoke. */
export function ApiKeysPage() {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const list = useQuery({ queryKey: ['api-keys'], queryFn: async () => data(await api.GET('/v1/api-keys')) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: async () => data(await api.POST('/v1/api-keys', { body: name.trim() ? { name: name.trim() } : {} })),
    onSuccess: (key) => {
      setName('');
      setCreated(key.key);
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: async (id: string) => data(await api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } })), onSuccess: refresh });
  return (
    <Page title="API keys">
      {created ? <SecretOnce label="New API key" value={created} onDone={() => setCreated(null)} /> : null}
      {canWrite ? (
        <form className="inline-form" aria-label="Create an API key" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Field label="Key name" value={name} onChange={(e) => setName(e.target.value)} placeholder="production server" />
          <button type="submit" disabled={create.isPending}>
            Create key
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      {list.isPending ? <Loading /> : null}
      <ErrorNote error={list.error ?? revoke.error} />
      {list.data?.length === 0 ? <Empty>No API key.</Empty> : null}
      {list.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                {canWrite ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((k) => (
                <tr key={k.id}>
                  <th scope="row">{k.name || '(unnamed)'}</th>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{formatDate(k.created_at)}</td>
                  <td>{formatDate(k.last_used_at)}</td>
                  <td>{k.revoked_at ? <Status value="cancelled" /> : <Status value="active" />}</td>
                  {canWrite ? (
                    <td>
                      {!k.revoked_at ? (
                        <button type="button" className="small danger" onClick={() => window.confirm('Revoke this key? Applications using it stop working.') && revoke.mutate(k.id)} aria-label={`Revoke ${k.name || k.prefix}`}>
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}

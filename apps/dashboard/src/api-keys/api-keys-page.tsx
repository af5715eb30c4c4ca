import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession } from '../auth/session';
import { ConfirmButton } from '../ui/confirm-button';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { InlineForm } from '../ui/inline-form';
import { Page } from '../ui/page';
import { SecretOnce } from '../ui/secret-once';
import { Status } from '../ui/status';
import { QueryTable } from '../ui/table';

/** The account's API keys: create (the key is shown once), see when each was used, revoke. */
export function ApiKeysPage() {
  const { canWrite } = useSession();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const list = useQuery({ queryKey: ['api-keys'], queryFn: async () => data(await api.GET('/v1/api-keys')) });
  const refresh = useRefresh('api-keys');
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
        <InlineForm label="Create an API key" onSubmit={() => create.mutate()} submit="Create key" pending={create.isPending} error={create.error}>
          <Field label="Key name" value={name} onChange={(e) => setName(e.target.value)} placeholder="production server" />
        </InlineForm>
      ) : null}
      <QueryTable
        pending={list.isPending}
        error={list.error ?? revoke.error}
        rows={list.data}
        empty="No API key."
        columns={['Name', 'Starts with', 'Created', 'Last used', 'State']}
        hiddenColumn={canWrite && 'Actions'}
        row={(k) => (
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
                  <ConfirmButton className="small danger" confirm="Revoke this key? Applications using it stop working." onConfirm={() => revoke.mutate(k.id)} aria-label={`Revoke ${k.name || k.prefix}`}>
                    Revoke
                  </ConfirmButton>
                ) : null}
              </td>
            ) : null}
          </tr>
        )}
      />
    </Page>
  );
}

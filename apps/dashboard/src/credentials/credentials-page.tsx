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
import { QueryTable } from '../ui/table';

/** SMTP relay logins (port 587 with STARTTLS, or 465). */
export function CredentialsPage() {
  const { canWrite } = useSession();
  const [username, setUsername] = useState('');
  const [created, setCreated] = useState<{ username: string; password: string } | null>(null);
  const list = useQuery({ queryKey: ['smtp-credentials'], queryFn: async () => data(await api.GET('/v1/smtp-credentials')) });
  const refresh = useRefresh('smtp-credentials');
  const create = useMutation({
    mutationFn: async () => data(await api.POST('/v1/smtp-credentials', { body: username.trim() ? { username: username.trim() } : {} })),
    onSuccess: (credential) => {
      setUsername('');
      setCreated({ username: credential.username, password: credential.password });
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: async (id: string) => data(await api.DELETE('/v1/smtp-credentials/{id}', { params: { path: { id } } })), onSuccess: refresh });
  return (
    <Page title="SMTP credentials">
      <p className="muted">For applications that can only speak SMTP: submission on port 587 (STARTTLS) or 465 (TLS), AUTH PLAIN or LOGIN.</p>
      {created ? <SecretOnce label={`Password of ${created.username}`} value={created.password} onDone={() => setCreated(null)} /> : null}
      {canWrite ? (
        <InlineForm label="Create an SMTP login" onSubmit={() => create.mutate()} submit="Create login" pending={create.isPending} error={create.error}>
          <Field label="User name (optional)" value={username} onChange={(e) => setUsername(e.target.value)} placeholder="billing-app" />
        </InlineForm>
      ) : null}
      <QueryTable
        pending={list.isPending}
        error={list.error ?? remove.error}
        rows={list.data}
        empty="No SMTP login yet."
        columns={['User name', 'Created', 'Last used']}
        hiddenColumn={canWrite && 'Actions'}
        row={(c) => (
          <tr key={c.id}>
            <th scope="row">{c.username}</th>
            <td>{formatDate(c.created_at)}</td>
            <td>{formatDate(c.last_used_at)}</td>
            {canWrite ? (
              <td>
                <ConfirmButton className="small danger" confirm={`Delete the login ${c.username}?`} onConfirm={() => remove.mutate(c.id)} aria-label={`Delete ${c.username}`}>
                  Delete
                </ConfirmButton>
              </td>
            ) : null}
          </tr>
        )}
      />
    </Page>
  );
}

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useSession } from '../auth/session';
import { Field } from '../ui/field';
import { formatDate } from '../ui/format';
import { Empty, ErrorNote, Loading, Page } from '../ui/page';
import { SecretOnce } from '../ui/secret-once';

/** SMTP relay logins (port 587 with STARTTLS, or 465). */
export function CredentialsPage() {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [created, setCreated] = useState<{ username: string; password: string } | null>(null);
  const list = useQuery({ queryKey: ['smtp-credentials'], queryFn: async () => data(await api.GET('/v1/smtp-credentials')) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['smtp-credentials'] });
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
        <form className="inline-form" aria-label="Create an SMTP login" onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Field label="User name (optional)" value={username} onChange={(e) => setUsername(e.target.value)} placeholder="billing-app" />
          <button type="submit" disabled={create.isPending}>
            Create login
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      {list.isPending ? <Loading /> : null}
      <ErrorNote error={list.error ?? remove.error} />
      {list.data?.length === 0 ? <Empty>No SMTP login yet.</Empty> : null}
      {list.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                {canWrite ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.username}</th>
                  <td>{formatDate(c.created_at)}</td>
                  <td>{formatDate(c.last_used_at)}</td>
                  {canWrite ? (
                    <td>
                      <button type="button" className="small danger" onClick={() => window.confirm(`Delete the login ${c.username}?`) && remove.mutate(c.id)} aria-label={`Delete ${c.username}`}>
                        Delete
                      </button>
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

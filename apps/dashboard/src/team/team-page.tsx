import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useRefresh } from '../api/refresh';
import { useSession, type Role } from '../auth/session';
import { ConfirmButton } from '../ui/confirm-button';
import { Field, SelectField } from '../ui/field';
import { formatDate } from '../ui/format';
import { InlineForm } from '../ui/inline-form';
import { ErrorNote, Loading, Page } from '../ui/page';
import { Table } from '../ui/table';

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'owner', label: 'owner: everything, and the team' },
  { value: 'member', label: 'member: sends and configures' },
  { value: 'viewer', label: 'viewer: looks, changes nothing' },
];

/** Who may open the account, with which role. Owners invite by mail, change roles and remove people. */
export function TeamPage() {
  const { account, session } = useSession();
  const owner = account?.role === 'owner';
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [sent, setSent] = useState('');
  const team = useQuery({ queryKey: ['team'], queryFn: async () => data(await api.GET('/v1/team')) });
  const refresh = useRefresh('team');
  const invite = useMutation({
    mutationFn: async () => data(await api.POST('/v1/team/invites', { body: { email: email.trim(), role } })),
    onSuccess: (invited) => {
      setSent(invited.invited ? `Invitation mailed to ${invited.email}.` : `${invited.email} was added and told by mail.`);
      setEmail('');
      refresh();
    },
  });
  const change = useMutation({
    mutationFn: async (input: { userId: string; role: Role }) => data(await api.PATCH('/v1/team/{userId}', { params: { path: { userId: input.userId } }, body: { role: input.role } })),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: async (userId: string) => data(await api.DELETE('/v1/team/{userId}', { params: { path: { userId } } })), onSuccess: refresh });
  return (
    <Page title="Team">
      {owner ? (
        <InlineForm label="Invite a person" onSubmit={() => invite.mutate()} submit="Invite" pending={invite.isPending} status={sent} error={invite.error}>
          <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} options={ROLES} />
        </InlineForm>
      ) : null}
      {team.isPending ? <Loading /> : null}
      <ErrorNote error={team.error ?? change.error ?? remove.error} />
      {team.data ? (
        <Table columns={['Person', 'Role', 'Since']} hiddenColumn={owner && 'Actions'}>
          {team.data.data.map((m) => (
            <tr key={m.user_id}>
              <th scope="row">
                {m.email} {m.email === session.user.email ? <span className="muted">(you)</span> : null} {!m.active ? <span className="muted">(invited)</span> : null}
              </th>
              <td>
                {owner ? (
                  <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => change.mutate({ userId: m.user_id, role: e.target.value as Role })}>
                    {ROLES.map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.value}
                      </option>
                    ))}
                  </select>
                ) : (
                  m.role
                )}
              </td>
              <td>{formatDate(m.created_at)}</td>
              {owner ? (
                <td>
                  <ConfirmButton className="small danger" confirm={`Remove ${m.email} from the account?`} onConfirm={() => remove.mutate(m.user_id)} aria-label={`Remove ${m.email}`}>
                    Remove
                  </ConfirmButton>
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : null}
    </Page>
  );
}

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../api/client';
import { useSession, type Role } from '../auth/session';
import { Field, SelectField } from '../ui/field';
import { formatDate } from '../ui/format';
import { ErrorNote, Loading, Page } from '../ui/page';

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'owner', label: 'owner: everything, and the team' },
  { value: 'member', label: 'member: sends and configures' },
  { value: 'viewer', label: 'viewer: looks, changes nothing' },
];

/** Who may open the account, with which role. Owners invite by mail, change roles and remove people. */
export function TeamPage() {
  const { account, session } = useSession();
  const owner = account?.role === 'owner';
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [sent, setSent] = useState('');
  const team = useQuery({ queryKey: ['team'], queryFn: async () => data(await api.GET('/v1/team')) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['team'] });
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
        <form className="inline-form" aria-label="Invite a person" onSubmit={(e) => (e.preventDefault(), invite.mutate())}>
          <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} options={ROLES} />
          <button type="submit" disabled={invite.isPending}>
            Invite
          </button>
          {sent ? <p role="status">{sent}</p> : null}
          <ErrorNote error={invite.error} />
        </form>
      ) : null}
      {team.isPending ? <Loading /> : null}
      <ErrorNote error={team.error ?? change.error ?? remove.error} />
      {team.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                {owner ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}
              </tr>
            </thead>
            <tbody>
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
                      <button type="button" className="small danger" onClick={() => window.confirm(`Remove ${m.email} from the account?`) && remove.mutate(m.user_id)} aria-label={`Remove ${m.email}`}>
                        Remove
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

import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, data, isApiError, setCsrfToken } from '../api/client';
import { Field } from '../ui/field';
import { rememberSession } from './session';
import { ErrorNote } from '../ui/page';

/** Sign in with email and password; or ask for a reset link. */
export function LoginPage() {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [resetSent, setResetSent] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = data(await api.POST('/v1/auth/login', { body: { email, password } }));
      setCsrfToken(session.csrf_token);
      rememberSession(session);
      queryClient.setQueryData(['session'], session);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const forgot = async () => {
    setError(null);
    try {
      data(await api.POST('/v1/auth/password-reset', { body: { email } }));
      setResetSent(true);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <main className="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title" className="card">
        <h1 id="login-title">Sign in to Mailroom</h1>
        <Field label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {isApiError(error, 401) ? (
          <p className="error" role="alert">
            Wrong email or password.
          </p>
        ) : (
          <ErrorNote error={error} />
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button type="button" className="link" onClick={() => void forgot()} disabled={!email}>
          Forgot your password? Mail me a link
        </button>
        {resetSent ? <p role="status">If {email} has a login, a link to choose a new password is on its way.</p> : null}
      </form>
    </main>
  );
}

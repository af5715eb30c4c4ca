import { useState, type FormEvent } from 'react';
import { api, data } from '../api/client';
import { Field } from '../ui/field';
import { ErrorNote } from '../ui/page';

/** The page a mailed link (invitation or reset) opens: choose a password, then sign in. */
export function SetPasswordPage() {
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      data(await api.POST('/v1/auth/set-password', { body: { token, password } }));
      setDone(true);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <main className="login" id="main">
      <form onSubmit={submit} className="card" aria-labelledby="set-title">
        <h1 id="set-title">Choose a password</h1>
        {done ? (
          <p role="status">
            Your password is set. <a href="/">Sign in</a>.
          </p>
        ) : (
          <>
            <Field label="New password" type="password" autoComplete="new-password" minLength={10} required value={password} onChange={(e) => setPassword(e.target.value)} hint="At least 10 characters." />
            <ErrorNote error={error} />
            <button type="submit">Set password</button>
          </>
        )}
      </form>
    </main>
  );
}

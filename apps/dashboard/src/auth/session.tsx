import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data, isApiError, setAccount, setCsrfToken } from '../api/client';
import type { components, paths } from '../api/schema';

export type SessionData = paths['/v1/auth/session']['get']['responses']['200']['content']['application/json'];
export type Role = 'owner' | 'member' | 'viewer';
export type AccountChoice = SessionData['accounts'][number];

interface SessionContextValue {
  session: SessionData;
  account: AccountChoice | null;
  /** Viewers look; owners and members change things. */
  canWrite: boolean;
  chooseAccount(id: string): void;
  signOut(everywhere?: boolean): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);
const ACCOUNT_KEY = 'mailroom.account';
const SESSION_KEY = 'mailroom.session';

/**
 * Who was signed in last time (without the CSRF token), so a page can open and ask for its data
 * while the session is being confirmed, rather than after: one round trip less before the first
 * data. A 401 shows the sign-in form and forgets it; so does signing out.
 */
function lastSession(): SessionData | undefined {
  try {
    const saved = localStorage.getItem(SESSION_KEY);
    return saved ? { ...(JSON.parse(saved) as Omit<SessionData, 'csrf_token'>), csrf_token: '' } : undefined;
  } catch {
    return undefined;
  }
}

export function rememberSession(session: SessionData): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify({ user: session.user, accounts: session.accounts }));
}

export function forgetSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

export const sessionQuery = queryOptions({
  queryKey: ['session'],
  queryFn: async () => {
    try {
      const session = data(await api.GET('/v1/auth/session'));
      setCsrfToken(session.csrf_token);
      rememberSession(session);
      return session;
    } catch (error) {
      if (isApiError(error, 401)) forgetSession();
      throw error;
    }
  },
  placeholderData: lastSession,
  retry: (count: number, error: unknown) => !isApiError(error, 401) && count < 2,
  staleTime: 5 * 60_000,
});

export function useSessionQuery() {
  return useQuery(sessionQuery);
}

export function SessionProvider({ session, children }: { session: SessionData; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [accountId, setAccountId] = useState(() => {
    const saved = localStorage.getItem(ACCOUNT_KEY);
    return session.accounts.some((a) => a.id === saved) ? saved! : (session.accounts[0]?.id ?? '');
  });
  setAccount(accountId);
  useEffect(() => setCsrfToken(session.csrf_token), [session.csrf_token]);

  const chooseAccount = useCallback(
    (id: string) => {
      localStorage.setItem(ACCOUNT_KEY, id);
      setAccount(id);
      setAccountId(id);
      // Everything cached belongs to the account it was read for.
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
    },
    [queryClient],
  );

  const signOut = useCallback(
    async (everywhere = false) => {
      await api.POST(everywhere ? '/v1/auth/logout-everywhere' : '/v1/auth/logout');
      forgetSession();
      queryClient.clear();
      setCsrfToken('');
      window.location.assign('/');
    },
    [queryClient],
  );

  const value = useMemo(() => {
    const account = session.accounts.find((a) => a.id === accountId) ?? null;
    return { session, account, canWrite: account !== null && account.role !== 'viewer', chooseAccount, signOut };
  }, [session, accountId, chooseAccount, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

export type ErrorBody = components['schemas']['Error'];

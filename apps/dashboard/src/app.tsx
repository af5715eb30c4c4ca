import { lazy, Suspense, type ComponentType } from 'react';
import { Route, Switch } from 'wouter';
import { isApiError } from './api/client';
import { LoginPage } from './auth/login-page';
import { SessionProvider, useSessionQuery } from './auth/session';
import { SetPasswordPage } from './auth/set-password-page';
import { Layout, type NavItem } from './ui/layout';
import { ErrorNote, Loading } from './ui/page';

// Pages load on first visit, so the first load carries only the frame and the page opened.
const page = <K extends string>(load: () => Promise<Record<K, ComponentType<any>>>, name: K) => lazy(async () => ({ default: (await load())[name] }));
const OverviewPage = page(() => import('./overview/overview-page'), 'OverviewPage');
const MessagesPage = page(() => import('./messages/messages-page'), 'MessagesPage');
const MessagePage = page(() => import('./messages/message-page'), 'MessagePage');
const DomainsPage = page(() => import('./domains/domains-page'), 'DomainsPage');
const DomainPage = page(() => import('./domains/domain-page'), 'DomainPage');
const SuppressionsPage = page(() => import('./suppressions/suppressions-page'), 'SuppressionsPage');
const MailboxesPage = page(() => import('./mailboxes/mailboxes-page'), 'MailboxesPage');
const CredentialsPage = page(() => import('./credentials/credentials-page'), 'CredentialsPage');
const ApiKeysPage = page(() => import('./api-keys/api-keys-page'), 'ApiKeysPage');
const TeamPage = page(() => import('./team/team-page'), 'TeamPage');

const NAV: NavItem[] = [
  { path: '/', label: 'Overview' },
  { path: '/messages', label: 'Messages' },
  { path: '/suppressions', label: 'Suppressions' },
  { path: '/domains', label: 'Domains' },
  { path: '/mailboxes', label: 'Mailboxes' },
  { path: '/smtp-credentials', label: 'SMTP credentials' },
  { path: '/api-keys', label: 'API keys' },
  { path: '/team', label: 'Team' },
];

export function App() {
  if (window.location.pathname === '/set-password') return <SetPasswordPage />;
  return <SignedIn />;
}

function SignedIn() {
  const session = useSessionQuery();
  if (session.isPending) return <Loading what="Opening Mailroom" />;
  if (isApiError(session.error, 401)) return <LoginPage />;
  if (session.error) return <ErrorNote error={session.error} />;
  return (
    <SessionProvider session={session.data}>
      <Layout nav={NAV}>
        <Suspense fallback={<Loading />}>
          <Switch>
            <Route path="/" component={OverviewPage} />
            <Route path="/messages">{() => <MessagesPage />}</Route>
            <Route path="/messages/:id">{(params) => <MessagePage id={params.id} />}</Route>
            <Route path="/suppressions" component={SuppressionsPage} />
            <Route path="/domains" component={DomainsPage} />
            <Route path="/domains/:id">{(params) => <DomainPage id={params.id} />}</Route>
            <Route path="/mailboxes" component={MailboxesPage} />
            <Route path="/smtp-credentials" component={CredentialsPage} />
            <Route path="/api-keys" component={ApiKeysPage} />
            <Route path="/team" component={TeamPage} />
            <Route>
              <p className="empty">There is no such page.</p>
            </Route>
          </Switch>
        </Suspense>
      </Layout>
    </SessionProvider>
  );
}

import { Route, Switch } from 'wouter';
import { isApiError } from './api/client';
import { LoginPage } from './auth/login-page';
import { SessionProvider, useSessionQuery } from './auth/session';
import { SetPasswordPage } from './auth/set-password-page';
import { Layout, type NavItem } from './ui/layout';
import { ApiKeysPage } from './api-keys/api-keys-page';
import { BouncesPage } from './bounces/bounces-page';
import { CampaignEditor } from './campaigns/campaign-editor';
import { CampaignPage } from './campaigns/campaign-page';
import { CampaignsPage } from './campaigns/campaigns-page';
import { CredentialsPage } from './credentials/credentials-page';
import { DomainPage } from './domains/domain-page';
import { DomainsPage } from './domains/domains-page';
import { ContactPage } from './lists/contact-page';
import { ContactsPage } from './lists/contacts-page';
import { ListsPage } from './lists/lists-page';
import { MailboxesPage } from './mailboxes/mailboxes-page';
import { MessagePage } from './messages/message-page';
import { MessagesPage } from './messages/messages-page';
import { OverviewPage } from './overview/overview-page';
import { SuppressionsPage } from './suppressions/suppressions-page';
import { TeamPage } from './team/team-page';
import { WebhookPage } from './webhooks/webhook-page';
import { WebhooksPage } from './webhooks/webhooks-page';
import { ErrorNote, Loading } from './ui/page';

// Every page is in the first load (all of them add ~13 KB gzipped): opening one costs no extra
// round trip for its code. Only the chart library loads on demand, with the pages that chart.

const NAV: NavItem[] = [
  { path: '/', label: 'Overview' },
  { path: '/campaigns', label: 'Campaigns' },
  { path: '/lists', label: 'Lists & contacts' },
  { path: '/messages', label: 'Messages' },
  { path: '/bounces', label: 'Bounces' },
  { path: '/suppressions', label: 'Suppressions' },
  { path: '/domains', label: 'Domains' },
  { path: '/mailboxes', label: 'Mailboxes' },
  { path: '/smtp-credentials', label: 'SMTP credentials' },
  { path: '/api-keys', label: 'API keys' },
  { path: '/webhooks', label: 'Webhooks' },
  { path: '/team', label: 'Team' },
];

export function App() {
  if (window.location.pathname === '/set-password') return <SetPasswordPage />;
  return <SignedIn />;
}

function SignedIn() {
  const session = useSessionQuery();
  if (session.isPending) return <Loading what="Opening Mailroom" />;
  if (session.isError) return isApiError(session.error, 401) ? <LoginPage /> : <ErrorNote error={session.error} />;
  return (
    <SessionProvider session={session.data}>
      <Layout nav={NAV}>
        <Switch>
          <Route path="/" component={OverviewPage} />
          <Route path="/messages">{() => <MessagesPage />}</Route>
          <Route path="/messages/:id">{(params) => <MessagePage id={params.id} />}</Route>
          <Route path="/campaigns" component={CampaignsPage} />
          <Route path="/campaigns/new">{() => <CampaignEditor />}</Route>
          <Route path="/campaigns/:id/edit">{(params) => <CampaignEditor id={params.id} />}</Route>
          <Route path="/campaigns/:id">{(params) => <CampaignPage id={params.id} />}</Route>
          <Route path="/lists" component={ListsPage} />
          <Route path="/contacts" component={ContactsPage} />
          <Route path="/contacts/:id">{(params) => <ContactPage id={params.id} />}</Route>
          <Route path="/bounces" component={BouncesPage} />
          <Route path="/webhooks" component={WebhooksPage} />
          <Route path="/webhooks/:id">{(params) => <WebhookPage id={params.id} />}</Route>
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
      </Layout>
    </SessionProvider>
  );
}

import { useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useSession } from '../auth/session';

export interface NavItem {
  path: string;
  label: string;
}

/** The frame of every signed-in page: skip link, navigation, account switcher, user menu. */
export function Layout({ nav, children }: { nav: NavItem[]; children: ReactNode }) {
  const { session, account, chooseAccount, signOut } = useSession();
  const [location] = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const current = (path: string) => (path === '/' ? location === '/' : location === path || location.startsWith(`${path}/`) || (path === '/lists' && location.startsWith('/contacts')));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <span className="brand">Mailroom</span>
        <div className="account-switch">
          <label htmlFor="account">Account</label>
          <select id="account" value={account?.id ?? ''} onChange={(e) => chooseAccount(e.target.value)}>
            {session.accounts.length === 0 ? <option value="">no account</option> : null}
            {session.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.role})
              </option>
            ))}
          </select>
        </div>
        <div className="user">
          <span className="muted">{session.user.email}</span>
          <button type="button" className="small" onClick={() => void signOut()}>
            Sign out
          </button>
          <button type="button" className="small secondary" onClick={() => void signOut(true)}>
            Sign out everywhere
          </button>
        </div>
      </header>
      <nav id="nav" aria-label="Main" className={menuOpen ? 'nav open' : 'nav'}>
        <ul>
          {nav.map((item) => (
            <li key={item.path}>
              <Link href={item.path} aria-current={current(item.path) ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="main">
        {account ? children : <p className="empty">You are not a member of any account yet. Ask an owner to invite you.</p>}
      </main>
    </div>
  );
}

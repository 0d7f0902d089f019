/**
 * The frame around every signed-in page: the header with the navigation (a menu button on phones),
 * who is signed in, sign-out, and the page below. Without a session it sends the browser to /login.
 */
import { useEffect, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { useSession } from './session';
import { Loading } from './ui';

const links: [string, string][] = [
  ['/flows', 'Flows'],
  ['/runs', 'Runs'],
  ['/connections', 'Connections'],
  ['/secrets', 'Secrets'],
  ['/tokens', 'API tokens'],
];

export function Logo() {
  return (
    <span className="logo">
      <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
        <rect width="32" height="32" rx="7" fill="currentColor" />
        <path d="M8 20c4 0 4-8 8-8s4 8 8 8" stroke="white" strokeWidth="3" fill="none" strokeLinecap="round" />
      </svg>
      <span>OpenFlows</span>
    </span>
  );
}

export function Layout() {
  const { user, signOut } = useSession();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => setMenuOpen(false), [location.pathname]);

  if (user === undefined) return <Loading what="Checking your session" />;
  if (user === null) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;

  return (
    <div className="app">
      <header className="topbar">
        <NavLink to="/flows" className="brand" aria-label="OpenFlows home">
          <Logo />
        </NavLink>
        <button
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {menuOpen ? 'Close' : 'Menu'}
        </button>
        <nav id="main-nav" className={`nav${menuOpen ? ' open' : ''}`} aria-label="Main">
          {links.map(([to, label]) => (
            <NavLink key={to} to={to} className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}>
              {label}
            </NavLink>
          ))}
          {user.admin && (
            <a className="nav-link" href="/admin/queues" title="Queue health (Bull Board)">
              Queues
            </a>
          )}
          <div className="nav-user">
            <span className="muted" title={`Signed in with ${user.provider === 'github' ? 'GitHub' : 'a local account'}`}>
              {user.login}
            </span>
            <button type="button" className="button small ghost" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </nav>
      </header>
      <main className="main">
        <Outlet />
      </main>
    </div>
  );
}

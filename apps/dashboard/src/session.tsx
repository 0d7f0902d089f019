/**
 * Who is signed in: loaded once from `GET /auth/session`, replaced after login/setup, cleared on
 * sign-out or on any 401 (which also sends the browser to /login?next=<where it was>).
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, onSignedOut, rememberSession, type Session, type User } from './api';

type SessionState = {
  /** undefined while loading, null when signed out. */
  user: User | null | undefined;
  signedIn(session: Session): void;
  signOut(): Promise<void>;
};

const SessionContext = createContext<SessionState>({ user: undefined, signedIn: () => {}, signOut: async () => {} });

export const useSession = () => useContext(SessionContext);

/** The path to come back to after signing in: same-origin paths only. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') && !next.startsWith('/setup')
    ? next
    : '/flows';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const navigate = useNavigate();
  const location = useLocation();

  useEffect(() => {
    let cancelled = false;
    api.session().then(
      (session) => {
        if (cancelled) return;
        rememberSession(session);
        setUser(session.user);
      },
      () => {
        if (!cancelled) setUser(null);
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    onSignedOut(() => {
      setUser(null);
      const here = window.location.pathname + window.location.search;
      if (!here.startsWith('/login') && !here.startsWith('/setup'))
        void navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
    });
  }, [navigate, location]);

  const signedIn = useCallback((session: Session) => {
    rememberSession(session);
    setUser(session.user);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      rememberSession(undefined);
      setUser(null);
      void navigate('/login', { replace: true });
    }
  }, [navigate]);

  return <SessionContext.Provider value={{ user, signedIn, signOut }}>{children}</SessionContext.Provider>;
}

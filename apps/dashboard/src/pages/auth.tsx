/**
 * /login (GitHub button when GitHub sign-in is configured, the local account form, the way to the
 * first-run page when no account exists yet) and /setup (the first-run admin account).
 */
import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, messageOf, type AuthOptions } from '../api';
import { Logo } from '../layout';
import { safeNext, useSession } from '../session';
import { ErrorNotice, Loading, Notice, useLoad, useTitle } from '../ui';

function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo />
        </div>
        <h1>{title}</h1>
        {children}
      </div>
      <p className="auth-foot muted">Self-hosted, event-driven flows for GitHub, Slack and LLMs.</p>
    </div>
  );
}

function loginError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'BAD_CREDENTIALS' || error.status === 401) return 'That login and password do not match. Check them and try again.';
    if (error.status === 429) {
      const wait = error.retryAfter
        ? ` Try again in ${error.retryAfter < 90 ? `${error.retryAfter} seconds` : `${Math.ceil(error.retryAfter / 60)} minutes`}.`
        : ' Try again later.';
      return `Too many failed sign-ins.${wait}`;
    }
  }
  return messageOf(error);
}

export function LoginPage() {
  useTitle('Sign in');
  const { user, signedIn } = useSession();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const options = useLoad<AuthOptions>(() => api.options(), []);
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (user) return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      signedIn(await api.login(login.trim(), password));
      void navigate(next, { replace: true });
    } catch (err) {
      setError(loginError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in">
      {params.get('error') && (
        <Notice tone="bad" title="Sign-in did not work">
          {params.get('error')}
        </Notice>
      )}
      {options.loading && <Loading what="Loading sign-in options" />}
      {options.error && <ErrorNotice error={options.error} retry={() => void options.reload()} title="Cannot load the sign-in options" />}
      {options.data?.setupRequired && (
        <Notice tone="info" title="Welcome! This platform has no account yet.">
          <p>Create the administrator account first; you will sign in with it from then on.</p>
          <Link className="button primary" to="/setup">
            Create the admin account
          </Link>
        </Notice>
      )}
      {options.data?.github && (
        <a className="button github block" href="/auth/github">
          <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true" fill="currentColor">
            <path d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z" />
          </svg>
          Sign in with GitHub
        </a>
      )}
      {options.data && !options.data.setupRequired && (
        <>
          {options.data.github && <div className="divider">or with a local account</div>}
          <form className="form" onSubmit={submit}>
            <label>
              Login
              <input name="login" autoComplete="username" required value={login} onChange={(e) => setLogin(e.target.value)} autoFocus />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            {error && <Notice tone="bad">{error}</Notice>}
            <button type="submit" className="button primary block" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        </>
      )}
    </AuthCard>
  );
}

export function SetupPage() {
  useTitle('First run');
  const { user, signedIn } = useSession();
  const navigate = useNavigate();
  const options = useLoad<AuthOptions>(() => api.options(), []);
  const [login, setLogin] = useState('admin');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [setupToken, setSetupToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (user) return <Navigate to="/flows" replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (password.length < 12) return setError('Choose a password of at least 12 characters.');
    if (password !== repeat) return setError('The two passwords differ. Type the same password twice.');
    setBusy(true);
    try {
      signedIn(await api.setup(login.trim(), password, options.data?.setupTokenRequired ? setupToken.trim() : undefined));
      void navigate('/flows', { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409
          ? 'An account already exists on this platform. Sign in with it instead.'
          : messageOf(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Create the admin account">
      {options.error && <ErrorNotice error={options.error} retry={() => void options.reload()} title="Cannot reach the platform" />}
      {options.data && !options.data.setupRequired ? (
        <Notice tone="info" title="This platform is already set up.">
          <p>
            An account exists (or GitHub sign-in is configured). <Link to="/login">Sign in</Link> instead.
          </p>
        </Notice>
      ) : (
        <>
          <p className="muted">
            This is the first run. The account you create here administers this OpenFlows install; it owns the flows, secrets and
            connections you add while signed in with it.
          </p>
          <form className="form" onSubmit={submit}>
            {options.data?.setupTokenRequired && (
              <label>
                API token of this platform <span className="hint">the API_TOKEN it was started with</span>
                <input
                  name="setupToken"
                  type="password"
                  autoComplete="off"
                  required
                  value={setupToken}
                  onChange={(e) => setSetupToken(e.target.value)}
                />
              </label>
            )}
            <label>
              Login
              <input name="login" autoComplete="username" required value={login} onChange={(e) => setLogin(e.target.value)} />
            </label>
            <label>
              Password <span className="hint">at least 12 characters</span>
              <input
                name="password"
                type="password"
                autoComplete="new-password"
                required
                minLength={12}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            <label>
              Password again
              <input
                name="repeat"
                type="password"
                autoComplete="new-password"
                required
                value={repeat}
                onChange={(e) => setRepeat(e.target.value)}
              />
            </label>
            {error && <Notice tone="bad">{error}</Notice>}
            <button type="submit" className="button primary block" disabled={busy}>
              {busy ? 'Creating…' : 'Create account and sign in'}
            </button>
          </form>
          <p className="muted small">
            Already have an account? <Link to="/login">Sign in</Link>
          </p>
        </>
      )}
    </AuthCard>
  );
}

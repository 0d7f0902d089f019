/**
 * /connections: GitHub (App installations and personal tokens), Slack workspaces and LLM keys, each
 * green when connected or "needs attention" with the reason and the fix. "Connect GitHub" and
 * "Connect Slack" are plain links to /connect/* (the OAuth round trips come back to
 * /connections?connected=github|slack).
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, messageOf, type Connection } from '../api';
import { Badge, ConfirmButton, ErrorNotice, Loading, Notice, PageHeader, Time, useLoad, useTitle } from '../ui';

const connectedText: Record<string, string> = {
  github: 'GitHub is connected. Flows on the repositories it covers now receive their events.',
  slack: 'Slack is connected. Flows on its channels now receive their messages.',
};

/** What to do about a connection that is not active. */
function fix(c: Connection): string {
  const again =
    c.provider === 'github' ? (c.kind === 'token' ? 'Add a new token below.' : 'Connect GitHub again.') : 'Connect Slack again.';
  switch (c.status) {
    case 'active':
      return '';
    case 'revoked':
      return c.provider === 'github' && c.kind === 'installation'
        ? `The App was uninstalled or its access removed. ${again}`
        : `Access was revoked. ${again}`;
    case 'unregistered':
      return `The platform does not know this account yet. ${again}`;
    case 'error':
      return `The platform could not use this connection. ${again}`;
  }
}

function ConnectionRow({ c, onGone }: { c: Connection; onGone: () => void }) {
  const [error, setError] = useState<string>();
  const ok = c.status === 'active';
  const repos = c.repositories ?? [];
  return (
    <li className="connection" data-connection={c.externalId}>
      <div className="connection-head">
        <span className="strong">{c.account}</span>
        <span className="muted small">
          {c.kind === 'installation' ? 'App installation' : c.kind === 'token' ? 'personal token' : 'workspace'}
        </span>
        <Badge status={ok ? 'connected' : c.status} label={ok ? 'connected' : 'needs attention'} />
        <ConfirmButton
          label="Disconnect"
          question={`Disconnect ${c.account}?`}
          confirm="Yes, disconnect"
          className="button small ghost"
          onConfirm={async () => {
            try {
              await api.disconnect(c.id);
              onGone();
            } catch (e) {
              setError(messageOf(e));
            }
          }}
        />
      </div>
      {!ok && (
        <p className="reason">
          {c.reason ? `${c.reason.replace(/_/g, ' ')}. ` : ''}
          {fix(c)}
        </p>
      )}
      {c.provider === 'github' && (
        <p className="small muted">
          {repos.length === 0
            ? 'No repositories.'
            : repos.length <= 5
              ? repos.join(', ')
              : `${repos.slice(0, 5).join(', ')} and ${repos.length - 5} more`}
        </p>
      )}
      {c.provider === 'slack' && c.botUserId && <p className="small muted">bot user {c.botUserId}</p>}
      <p className="small muted">
        connected <Time at={c.createdAt} />
      </p>
      {error && <Notice tone="bad">{error}</Notice>}
    </li>
  );
}

function ProviderCard({
  title,
  icon,
  items,
  empty,
  actions,
  children,
}: {
  title: string;
  icon: string;
  items: React.ReactNode[];
  empty: React.ReactNode;
  actions: React.ReactNode;
  children?: React.ReactNode;
}) {
  return (
    <section className="card provider" data-provider={title.toLowerCase()}>
      <div className="card-head">
        <h2>
          <span className="provider-icon" aria-hidden="true">
            {icon}
          </span>{' '}
          {title}
        </h2>
        <div className="card-actions">{actions}</div>
      </div>
      {items.length === 0 ? <div className="muted">{empty}</div> : <ul className="plain-list connections">{items}</ul>}
      {children}
    </section>
  );
}

function GithubTokenForm({ onAdded }: { onAdded: () => void }) {
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!open) {
    return (
      <button type="button" className="link-button" onClick={() => setOpen(true)}>
        Or use a personal access token instead of the App
      </button>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.connectGithubToken(token.trim());
      setToken('');
      setOpen(false);
      onAdded();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form inline-form" onSubmit={submit}>
      <label>
        GitHub personal access token <span className="hint">classic token with the repo and admin:repo_hook scopes</span>
        <input name="github-token" type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      {error && <Notice tone="bad">{error}</Notice>}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Checking the token…' : 'Add token'}
        </button>
        <button type="button" className="button ghost" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ConnectionsPage() {
  useTitle('Connections');
  const [params, setParams] = useSearchParams();
  const connected = params.get('connected');
  const connections = useLoad(() => api.connections(), []);
  const secrets = useLoad(() => api.secrets(), []);
  const reload = () => void connections.reload();

  const of = (provider: Connection['provider']) => (connections.data ?? []).filter((c) => c.provider === provider);
  const row = (c: Connection) => <ConnectionRow key={c.id} c={c} onGone={reload} />;
  const llmKeys = (secrets.data ?? []).filter((s) => s.kind === 'llm');

  return (
    <>
      <PageHeader title="Connections" sub="The accounts your flows act through. Each turns green once it works." />
      {connected && (
        <Notice tone="ok" onClose={() => setParams(new URLSearchParams(), { replace: true })}>
          {connectedText[connected] ?? `${connected} is connected.`}
        </Notice>
      )}
      {connections.loading && <Loading what="Loading connections" />}
      {connections.error && <ErrorNotice error={connections.error} retry={reload} title="Cannot load connections" />}
      {connections.data && (
        <div className="grid three">
          <ProviderCard
            title="GitHub"
            icon="GH"
            items={of('github').map(row)}
            empty={
              <p>
                Not connected. Install the OpenFlows GitHub App on the repositories your flows serve: issues and comments there start runs.
              </p>
            }
            actions={
              <a className="button primary small" href="/connect/github">
                Connect GitHub
              </a>
            }
          >
            <GithubTokenForm onAdded={reload} />
          </ProviderCard>
          <ProviderCard
            title="Slack"
            icon="SL"
            items={of('slack').map(row)}
            empty={<p>Not connected. Add the OpenFlows app to a workspace so flows can listen to its channels and answer there.</p>}
            actions={
              <a className="button primary small" href="/connect/slack">
                Connect Slack
              </a>
            }
          />
          <ProviderCard
            title="LLM keys"
            icon="AI"
            items={llmKeys.map((s) => (
              <li key={s.name} className="connection">
                <div className="connection-head">
                  <span className="strong">{s.name}</span>
                  <span className="muted small">…{s.last4}</span>
                  <Badge status="connected" label="stored" />
                </div>
                <p className="small muted">
                  {s.model ?? 'no default model'} · {s.baseURL ?? 'OpenAI'}
                  {s.lastUsedBy && (
                    <>
                      {' '}
                      · used by <Link to={`/flows/${encodeURIComponent(s.lastUsedBy)}`}>{s.lastUsedBy}</Link> <Time at={s.lastUsedAt} />
                    </>
                  )}
                </p>
              </li>
            ))}
            empty={
              secrets.error ? (
                <p>Cannot load your keys: {messageOf(secrets.error)}</p>
              ) : (
                <p>No LLM key yet. Store an OpenAI (or OpenAI-compatible) key as a secret; flows name it in their variables.</p>
              )
            }
            actions={
              <Link className="button primary small" to="/secrets?new=llm">
                Add an LLM key
              </Link>
            }
          />
        </div>
      )}
    </>
  );
}

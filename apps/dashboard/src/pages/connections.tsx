/**
 * /connections: one card per provider of GET /api/providers (GitHub installations and tokens, Slack
 * workspaces, Telegram bots…) and the LLM keys, each connection green when it works (an LLM key once
 * its provider accepted it) or "needs attention" with the reason and the fix. A provider connects with a browser round trip (a plain link
 * to /connect/<id>, coming back to /connections?connected=<id>), a credentials form posting to
 * /api/connections/<id>, or both.
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, messageOf, type Connection, type Provider } from '../api';
import { CheckKeyButton, KeyCheckBadge, KeyCheckReason } from '../llm-key-check';
import { Badge, ConfirmButton, ErrorNotice, Loading, Notice, PageHeader, Time, useLoad, useTitle } from '../ui';

const kindLabel: Record<string, string> = { installation: 'App installation', token: 'personal token', workspace: 'workspace' };

/** What to do about a connection that is not active. */
function fix(c: Connection, provider?: Provider): string {
  const again = provider?.authorize ? `${provider.authorize.label} again.` : `Connect ${provider?.title ?? c.provider} again.`;
  switch (c.status) {
    case 'active':
      return '';
    case 'revoked':
      return c.kind === 'installation' ? `The App was uninstalled or its access removed. ${again}` : `Access was revoked. ${again}`;
    case 'unregistered':
      return `The platform does not know this account yet. ${again}`;
    case 'error':
      return `The platform could not use this connection. ${again}`;
  }
}

function ConnectionRow({ c, provider, onGone }: { c: Connection; provider?: Provider; onGone: () => void }) {
  const [error, setError] = useState<string>();
  const ok = c.status === 'active';
  return (
    <li className="connection" data-connection={c.externalId}>
      <div className="connection-head">
        <span className="strong">{c.account}</span>
        <span className="muted small">{kindLabel[c.kind] ?? c.kind}</span>
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
          {fix(c, provider)}
        </p>
      )}
      {c.details.map((line) => (
        <p key={line} className="small muted">
          {line}
        </p>
      ))}
      <p className="small muted">
        connected <Time at={c.createdAt} />
      </p>
      {error && <Notice tone="bad">{error}</Notice>}
    </li>
  );
}

function ProviderCard({
  id,
  title,
  icon,
  items,
  empty,
  actions,
  children,
}: {
  id: string;
  title: string;
  icon: string;
  items: React.ReactNode[];
  empty: React.ReactNode;
  actions: React.ReactNode;
  children?: React.ReactNode;
}) {
  return (
    <section className="card provider" data-provider={id}>
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

/** The provider's credentials form (POST /api/connections/<id>), behind `fieldsLabel` when the card also has a connect link. */
function ConnectForm({ provider, onAdded }: { provider: Provider; onAdded: () => void }) {
  const fields = provider.fields ?? [];
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!open) {
    return provider.authorize ? (
      <button type="button" className="link-button" onClick={() => setOpen(true)}>
        {provider.fieldsLabel ?? `Or connect ${provider.title} with credentials`}
      </button>
    ) : (
      <button type="button" className="button primary small" onClick={() => setOpen(true)}>
        Connect {provider.title}
      </button>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = Object.fromEntries(
        Object.entries(values)
          .map(([k, v]) => [k, v.trim()])
          .filter(([, v]) => v !== ''),
      );
      await api.connect(provider.id, body);
      setValues({});
      setOpen(false);
      onAdded();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form inline-form" aria-label={`Connect ${provider.title}`} onSubmit={submit}>
      {fields.map((f) => (
        <label key={f.name}>
          {f.label} {f.hint && <span className="hint">{f.hint}</span>}
          {f.choices ? (
            <select
              name={f.name}
              value={values[f.name] ?? f.choices[0]}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
            >
              {f.choices.map((choice) => (
                <option key={choice}>{choice}</option>
              ))}
            </select>
          ) : (
            <input
              name={f.name}
              type={f.secret ? 'password' : 'text'}
              autoComplete="off"
              required={!f.optional}
              value={values[f.name] ?? ''}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
            />
          )}
        </label>
      ))}
      {error && <Notice tone="bad">{error}</Notice>}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Checking…' : 'Connect'}
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

  const providers = useLoad(() => api.providers(), []);
  const byId = new Map((providers.data ?? []).map((p) => [p.id, p]));
  const of = (provider: string) => (connections.data ?? []).filter((c) => c.provider === provider);
  const row = (c: Connection) => <ConnectionRow key={c.id} c={c} provider={byId.get(c.provider)} onGone={reload} />;
  const llmKeys = (secrets.data ?? []).filter((s) => s.kind === 'llm');

  return (
    <>
      <PageHeader title="Connections" sub="The accounts your flows act through. Each turns green once it works." />
      {connected && (
        <Notice tone="ok" onClose={() => setParams(new URLSearchParams(), { replace: true })}>
          {byId.get(connected)?.connectedText ?? `${connected} is connected.`}
        </Notice>
      )}
      {(connections.loading || providers.loading) && <Loading what="Loading connections" />}
      {connections.error && <ErrorNotice error={connections.error} retry={reload} title="Cannot load connections" />}
      {providers.error && <ErrorNotice error={providers.error} retry={() => void providers.reload()} title="Cannot load providers" />}
      {connections.data && providers.data && (
        <div className="grid three">
          {providers.data.map((p) => (
            <ProviderCard
              key={p.id}
              id={p.id}
              title={p.title}
              icon={p.icon}
              items={of(p.id).map(row)}
              empty={<p>{p.empty}</p>}
              actions={
                p.authorize && (
                  <a className="button primary small" href={p.authorize.url}>
                    {p.authorize.label}
                  </a>
                )
              }
            >
              {p.fields && p.fields.length > 0 && <ConnectForm provider={p} onAdded={reload} />}
            </ProviderCard>
          ))}
          <ProviderCard
            id="llm keys"
            title="LLM keys"
            icon="AI"
            items={llmKeys.map((s) => (
              <li key={s.name} className="connection" data-secret={s.name}>
                <div className="connection-head">
                  <span className="strong">{s.name}</span>
                  <span className="muted small">…{s.last4}</span>
                  <KeyCheckBadge secret={s} />
                  <CheckKeyButton secret={s} onChecked={() => void secrets.reload()} />
                </div>
                <KeyCheckReason secret={s} />
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

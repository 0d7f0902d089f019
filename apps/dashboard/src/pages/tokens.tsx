/**
 * /tokens: personal API tokens for the CLI and scripts. A new token is shown once (with a copy
 * button); the list shows name, created and last used; revoke with a confirm.
 */
import { useState, type FormEvent } from 'react';
import { api, messageOf } from '../api';
import { ConfirmButton, CopyButton, EmptyState, ErrorNotice, Loading, Notice, PageHeader, Time, useLoad, useTitle } from '../ui';

export function TokensPage() {
  useTitle('API tokens');
  const tokens = useLoad(() => api.tokens(), []);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const [error, setError] = useState<string>();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await api.createToken(name.trim());
      setCreated({ name: t.name, token: t.token });
      setName('');
      void tokens.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="API tokens" sub="For the openflows CLI, scripts and CI. A token acts as you, with everything you can do here." />
      {created && (
        <Notice
          tone="ok"
          title={`Token “${created.name}” created. Copy it now: it is not shown again.`}
          onClose={() => setCreated(undefined)}
        >
          <div className="token-box">
            <code data-copy-source data-testid="new-token">
              {created.token}
            </code>
            <CopyButton text={created.token} />
          </div>
          <p className="small">
            Use it as <code>OPENFLOWS_TOKEN={created.token.slice(0, 8)}…</code> for the CLI, or send <code>Authorization: Bearer …</code> to{' '}
            <code>/api</code>.
          </p>
        </Notice>
      )}
      <form className="form card inline-form" onSubmit={create}>
        <label>
          New token name <span className="hint">where you will use it, e.g. “laptop CLI” or “CI deploy”</span>
          <div className="row-fields">
            <input
              name="token-name"
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="laptop CLI"
            />
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create token'}
            </button>
          </div>
        </label>
        {error && <Notice tone="bad">{error}</Notice>}
      </form>
      {tokens.loading && <Loading what="Loading tokens" />}
      {tokens.error && <ErrorNotice error={tokens.error} retry={() => void tokens.reload()} title="Cannot load your tokens" />}
      {tokens.data && tokens.data.length === 0 && (
        <EmptyState title="No API tokens">
          <p>
            Create one to use the CLI: <code>OPENFLOWS_TOKEN=oft_… npx openflows flows list</code>.
          </p>
        </EmptyState>
      )}
      {tokens.data && tokens.data.length > 0 && (
        <div className="table-wrap">
          <table className="table responsive">
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <td data-label="Name" className="strong">
                    {t.name || <span className="muted">unnamed</span>}
                  </td>
                  <td data-label="Created">
                    <Time at={t.createdAt} />
                  </td>
                  <td data-label="Last used">
                    <Time at={t.lastUsedAt} empty="never" />
                  </td>
                  <td className="actions">
                    <ConfirmButton
                      label="Revoke"
                      question="Revoke? Anything using it stops working."
                      confirm="Yes, revoke"
                      className="button small danger"
                      onConfirm={async () => {
                        try {
                          await api.revokeToken(t.id);
                          void tokens.reload();
                        } catch (e) {
                          setError(messageOf(e));
                        }
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

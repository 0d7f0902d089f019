/**
 * /secrets: named secrets of the signed-in user. LLM keys (optional base URL and default model) and
 * generic ones; create, replace, delete. Values are write-only: the list shows name, kind, the last 4
 * characters, when created and which flow used it last; an LLM key also whether its provider accepted it.
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, messageOf, type Secret } from '../api';
import { CheckKeyButton, KeyCheckBadge, KeyCheckReason } from '../llm-key-check';
import { ConfirmButton, EmptyState, ErrorNotice, Loading, Notice, PageHeader, Time, useLoad, useTitle } from '../ui';

type Draft = { name: string; kind: 'llm' | 'generic'; value: string; baseURL: string; model: string; replacing: boolean };
const blank = (kind: 'llm' | 'generic' = 'llm'): Draft => ({ name: '', kind, value: '', baseURL: '', model: '', replacing: false });
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function SecretForm({ initial, onSaved, onCancel }: { initial: Draft; onSaved: (s: Secret) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const name = draft.name.trim();
    if (!NAME.test(name)) return setError('Use a name of letters, digits, ".", "-" or "_" (up to 64 characters), such as openai.');
    if (!draft.value) return setError('Enter the value. It is stored encrypted and never shown again.');
    if (draft.baseURL && !/^https?:\/\/\S+$/.test(draft.baseURL.trim()))
      return setError('The base URL must start with http:// or https://.');
    setBusy(true);
    try {
      const saved = await api.putSecret(name, {
        value: draft.value,
        kind: draft.kind,
        ...(draft.kind === 'llm' && draft.baseURL.trim() ? { baseURL: draft.baseURL.trim() } : {}),
        ...(draft.kind === 'llm' && draft.model.trim() ? { model: draft.model.trim() } : {}),
      });
      onSaved(saved);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form card" onSubmit={submit} aria-label={draft.replacing ? `Replace ${draft.name}` : 'New secret'}>
      <h2>{draft.replacing ? `Replace ${draft.name}` : 'New secret'}</h2>
      <div className="segmented" role="radiogroup" aria-label="Kind">
        <label className={draft.kind === 'llm' ? 'active' : ''}>
          <input type="radio" name="kind" value="llm" checked={draft.kind === 'llm'} onChange={() => set({ kind: 'llm' })} /> LLM key
        </label>
        <label className={draft.kind === 'generic' ? 'active' : ''}>
          <input type="radio" name="kind" value="generic" checked={draft.kind === 'generic'} onChange={() => set({ kind: 'generic' })} />{' '}
          Other secret
        </label>
      </div>
      <label>
        Name <span className="hint">flows refer to it by this name, e.g. openai_key_name=openai</span>
        <input
          name="name"
          required
          value={draft.name}
          readOnly={draft.replacing}
          onChange={(e) => set({ name: e.target.value })}
          placeholder="openai"
        />
      </label>
      <label>
        {draft.kind === 'llm' ? 'API key' : 'Value'} <span className="hint">write-only: stored encrypted, never shown again</span>
        <input
          name="value"
          type="password"
          autoComplete="off"
          required
          value={draft.value}
          onChange={(e) => set({ value: e.target.value })}
        />
      </label>
      {draft.kind === 'llm' && (
        <div className="row-fields">
          <label>
            Base URL <span className="hint">empty for OpenAI; any OpenAI-compatible server</span>
            <input
              name="baseURL"
              inputMode="url"
              value={draft.baseURL}
              onChange={(e) => set({ baseURL: e.target.value })}
              placeholder="https://api.openai.com/v1"
            />
          </label>
          <label>
            Default model
            <input name="model" value={draft.model} onChange={(e) => set({ model: e.target.value })} placeholder="gpt-4o-mini" />
          </label>
        </div>
      )}
      {error && <Notice tone="bad">{error}</Notice>}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : draft.replacing ? 'Replace' : 'Save secret'}
        </button>
        <button type="button" className="button ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function SecretsPage() {
  useTitle('Secrets');
  const [params, setParams] = useSearchParams();
  const secrets = useLoad(() => api.secrets(), []);
  const requested = params.get('new');
  const [draft, setDraft] = useState<Draft | undefined>(requested ? blank(requested === 'generic' ? 'generic' : 'llm') : undefined);
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();

  const close = () => {
    setDraft(undefined);
    if (requested) setParams(new URLSearchParams(), { replace: true });
  };

  return (
    <>
      <PageHeader title="Secrets" sub="API keys and passwords your flows use, stored encrypted. Values can be replaced, never read back.">
        {!draft && (
          <button type="button" className="button primary" onClick={() => setDraft(blank())}>
            New secret
          </button>
        )}
      </PageHeader>
      {message && (
        <Notice tone="ok" onClose={() => setMessage(undefined)}>
          {message}
        </Notice>
      )}
      {error && (
        <Notice tone="bad" onClose={() => setError(undefined)}>
          {error}
        </Notice>
      )}
      {draft && (
        <SecretForm
          key={`${draft.name}:${draft.replacing}`}
          initial={draft}
          onCancel={close}
          onSaved={(s) => {
            close();
            if (s.check?.status === 'failed')
              setError(`Saved ${s.name} (…${s.last4}), but the provider did not accept it: ${s.check.error ?? 'no reason given'}`);
            else setMessage(`Saved ${s.name} (…${s.last4})${s.check ? '; the provider accepted it' : ''}.`);
            void secrets.reload();
          }}
        />
      )}
      {secrets.loading && <Loading what="Loading secrets" />}
      {secrets.error && <ErrorNotice error={secrets.error} retry={() => void secrets.reload()} title="Cannot load secrets" />}
      {secrets.data && secrets.data.length === 0 && !draft && (
        <EmptyState
          title="No secrets yet"
          action={
            <button type="button" className="button primary" onClick={() => setDraft(blank())}>
              Add your LLM key
            </button>
          }
        >
          <p>
            Most flows need an LLM key: store it here under a name such as <code>openai</code> and give that name to the flow&apos;s
            variable (<code>openai_key_name</code> for github-chat).
          </p>
        </EmptyState>
      )}
      {secrets.data && secrets.data.length > 0 && (
        <div className="table-wrap">
          <table className="table responsive">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Value</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {secrets.data.map((s) => (
                <tr key={s.name} data-secret={s.name}>
                  <td data-label="Name" className="strong">
                    {s.name}
                  </td>
                  <td data-label="Kind">
                    {s.kind === 'llm' ? 'LLM key' : 'secret'}
                    {s.kind === 'llm' && (
                      <>
                        <div className="small muted">
                          {s.model ?? 'no default model'} · {s.baseURL ?? 'OpenAI'}
                          {s.contextWindow ? ` · ${s.contextWindow}-token window` : ''}
                        </div>
                        <div>
                          <KeyCheckBadge secret={s} /> <CheckKeyButton secret={s} onChecked={() => void secrets.reload()} />
                        </div>
                        <KeyCheckReason secret={s} />
                      </>
                    )}
                  </td>
                  <td data-label="Value">
                    <code>••••{s.last4}</code>
                  </td>
                  <td data-label="Created">
                    <Time at={s.createdAt} />
                    {s.updatedAt !== s.createdAt && (
                      <div className="small muted">
                        replaced <Time at={s.updatedAt} />
                      </div>
                    )}
                  </td>
                  <td data-label="Last used">
                    {s.lastUsedAt ? (
                      <>
                        <Time at={s.lastUsedAt} />
                        {s.lastUsedBy && (
                          <div className="small">
                            by <Link to={`/flows/${encodeURIComponent(s.lastUsedBy)}`}>{s.lastUsedBy}</Link>
                          </div>
                        )}
                      </>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="button small"
                      onClick={() =>
                        setDraft({ ...blank(s.kind), name: s.name, baseURL: s.baseURL ?? '', model: s.model ?? '', replacing: true })
                      }
                    >
                      Replace
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete ${s.name}? Flows using it will fail.`}
                      confirm="Yes, delete"
                      className="button small danger"
                      onConfirm={async () => {
                        try {
                          await api.deleteSecret(s.name);
                          setMessage(`Deleted ${s.name}.`);
                          void secrets.reload();
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

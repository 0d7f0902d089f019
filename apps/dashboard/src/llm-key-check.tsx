/**
 * An LLM key's check with its provider, as the connections and secrets pages show it: green once the
 * provider accepted the key, "needs attention" with the provider's error when it did not, "not checked"
 * for a key stored before checks existed; and the button that checks it again.
 */
import { useState } from 'react';
import { api, messageOf, type Secret } from './api';
import { Badge } from './ui';

/** The key's badge (see the file). */
export function KeyCheckBadge({ secret }: { secret: Secret }) {
  if (!secret.check) return <Badge status="pending" label="not checked" />;
  return secret.check.status === 'ok' ? <Badge status="connected" label="connected" /> : <Badge status="failed" label="needs attention" />;
}

/** Why the provider refused the key, and what to do; nothing for a key it accepted. */
export function KeyCheckReason({ secret }: { secret: Secret }) {
  if (secret.check?.status !== 'failed') return null;
  return (
    <p className="reason">
      {secret.check.error ?? 'The provider did not accept the key.'} Check the key and the base URL, then replace the key or check again.
    </p>
  );
}

/** Asks the provider again (`POST /api/secrets/:name/check`); `onChecked` gets the new summary. */
export function CheckKeyButton({ secret, onChecked }: { secret: Secret; onChecked: (checked: Secret) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (secret.check?.status === 'ok') return null;
  const check = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChecked(await api.checkSecret(secret.name));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="button small" disabled={busy} onClick={() => void check()}>
        {busy ? 'Checking…' : secret.check ? 'Check again' : 'Check'}
      </button>
      {error && <span className="error-text small">{error}</span>}
    </>
  );
}

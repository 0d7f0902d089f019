/**
 * Small building blocks shared by the pages: data loading, status badges, times, notices, empty
 * states, a two-step confirm button, a copy button and a collapsible JSON viewer.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError, messageOf } from './api';

/** Loads `load()` on mount and whenever `deps` change; `reload()` again on demand (quietly, keeping the data). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const loader = useRef(load);
  loader.current = load;
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await loader.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
    } catch (e) {
      if (mine !== generation.current) return;
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    setData(undefined);
    void reload();
  }, deps);

  return { data, setData, error, loading, reload };
}

/** Calls `tick` every `ms` while `active`. */
export function useInterval(tick: () => void, ms: number, active: boolean) {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => saved.current(), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}

/** Sets the document title: "<title> · OpenFlows". */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · OpenFlows`;
  }, [title]);
}

const badgeTone: Record<string, string> = {
  running: 'ok',
  active: 'ok',
  succeeded: 'ok',
  connected: 'ok',
  pending: 'info',
  building: 'info',
  queued: 'info',
  retrying: 'warn',
  unregistered: 'warn',
  paused: 'muted',
  superseded: 'muted',
  undeployed: 'muted',
  revoked: 'bad',
  error: 'bad',
  failed: 'bad',
};

/** A coloured status word; `building`, `queued`, `running` runs and `retrying` pulse. */
export function Badge({ status, label, pulse }: { status: string; label?: string; pulse?: boolean }) {
  return (
    <span className={`badge badge-${badgeTone[status] ?? 'muted'}${pulse ? ' badge-pulse' : ''}`} data-status={status}>
      {label ?? status}
    </span>
  );
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "3 minutes ago", with the exact time on hover. */
export function Time({ at, empty = '—' }: { at?: string | null; empty?: string }) {
  const [, refresh] = useState(0);
  useInterval(() => refresh((n) => n + 1), 30_000, Boolean(at));
  if (!at) return <span className="muted">{empty}</span>;
  const date = new Date(at);
  const seconds = (date.getTime() - Date.now()) / 1000;
  const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  const text = Math.abs(seconds) < 10 ? 'just now' : relative.format(Math.round(seconds / size), unit);
  return (
    <time dateTime={at} title={absolute.format(date)}>
      {text}
    </time>
  );
}

/** 850 ms, 3.2 s, 2 min 5 s. */
export function formatDuration(ms?: number | null): string {
  if (ms === undefined || ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Text with its http(s) URLs as links (reasons carry install links). */
export function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s)]+)/g);
  return (
    <>
      {parts.map((part, i) =>
        /^https?:\/\//.test(part) ? (
          <a key={i} href={part.replace(/[.,;:]$/, '')}>
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** A coloured message box. */
export function Notice({
  tone = 'info',
  title,
  children,
  onClose,
}: {
  tone?: 'info' | 'ok' | 'warn' | 'bad';
  title?: string;
  children?: ReactNode;
  onClose?: () => void;
}) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      <div className="notice-body">
        {title && <strong>{title}</strong>}
        {children && <div>{children}</div>}
      </div>
      {onClose && (
        <button type="button" className="link-button notice-close" onClick={onClose} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

/** An API error in plain words, with a retry button when given. */
export function ErrorNotice({ error, retry, title = 'Something went wrong' }: { error: unknown; retry?: () => void; title?: string }) {
  return (
    <Notice tone="bad" title={title}>
      <p>{messageOf(error)}</p>
      {retry && (
        <button type="button" className="button small" onClick={retry}>
          Try again
        </button>
      )}
    </Notice>
  );
}

/** What to show while a page loads. */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

/** A friendly empty list: what it is, and what to do next. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children && <div className="empty-text">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

/** A page heading with optional actions on the right. */
export function PageHeader({ title, children, sub }: { title: ReactNode; children?: ReactNode; sub?: ReactNode }) {
  return (
    <header className="page-header">
      <div className="page-title">
        <h1>{title}</h1>
        {sub && <div className="page-sub">{sub}</div>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

/**
 * A destructive button that asks once more in place ("Delete? Yes, delete / Cancel") instead of a
 * browser dialog.
 */
export function ConfirmButton({
  label,
  confirm,
  question,
  onConfirm,
  className = 'button danger',
  disabled,
}: {
  label: string;
  confirm: string;
  question: string;
  onConfirm: () => Promise<void> | void;
  className?: string;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={className} onClick={() => setAsking(true)} disabled={disabled}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className="button danger"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirm}
      </button>
      <button type="button" className="button ghost" onClick={() => setAsking(false)} disabled={busy}>
        Cancel
      </button>
    </span>
  );
}

/** Copies `text` to the clipboard; says "Copied" for a moment. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // Clipboard refused (no permission, plain http): select the text instead for a manual copy.
          const range = document.createRange();
          const target = document.querySelector(`[data-copy-source]`);
          if (target) {
            range.selectNodeContents(target);
            window.getSelection()?.removeAllRanges();
            window.getSelection()?.addRange(range);
          }
        }
        setCopied(true);
        window.setTimeout(() => setCopied(false), 2000);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

/** Key/value rows. */
export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function JsonNode({ name, value, depth }: { name?: string; value: unknown; depth: number }) {
  const label = name !== undefined ? <span className="json-key">{name}: </span> : null;
  if (value === null || typeof value !== 'object') {
    const kind = value === null ? 'null' : typeof value;
    return (
      <div className="json-leaf">
        {label}
        <span className={`json-${kind}`}>{typeof value === 'string' ? JSON.stringify(value) : String(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <details className="json-branch" open={depth < 1}>
      <summary>
        {label}
        <span className="json-summary">{summary}</span>
      </summary>
      <div className="json-children">
        {entries.map(([k, v]) => (
          <JsonNode key={k} name={k} value={v} depth={depth + 1} />
        ))}
      </div>
    </details>
  );
}

/** A collapsible tree of a JSON value (top level open), with a raw view and a copy button. */
export function JsonViewer({ value }: { value: unknown }) {
  const [raw, setRaw] = useState(false);
  const text = JSON.stringify(value, null, 2);
  return (
    <div className="json">
      <div className="json-toolbar">
        <button type="button" className="button small ghost" onClick={() => setRaw(!raw)}>
          {raw ? 'Show tree' : 'Show raw JSON'}
        </button>
        <CopyButton text={text ?? ''} label="Copy JSON" />
      </div>
      {raw ? <pre className="code">{text}</pre> : <JsonNode value={value} depth={0} />}
    </div>
  );
}

/** "Not found" with a way back. */
export function NotFound({
  what = 'page',
  back = '/flows',
  backLabel = 'Go to your flows',
}: {
  what?: string;
  back?: string;
  backLabel?: string;
}) {
  useTitle('Not found');
  return (
    <div className="not-found">
      <h1>Not found</h1>
      <p>
        There is no {what} here, or it belongs to someone else. Check the address, or <Link to={back}>{backLabel.toLowerCase()}</Link>.
      </p>
    </div>
  );
}

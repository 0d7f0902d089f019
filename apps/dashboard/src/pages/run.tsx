/**
 * /runs/:id: one run. The triggering event (summary and a collapsible payload viewer), timing,
 * attempts, token usage, the error, and the log lines, appended live through
 * `EventSource('/api/runs/:id/stream')` until the run ends; replay the run (this flow) or the event
 * (every subscribed flow).
 */
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, messageOf, streams, type LogLine, type Run, type RunDetail } from '../api';
import { ErrorNotice, Facts, JsonViewer, Loading, Notice, NotFound, PageHeader, Time, formatDuration, useLoad, useTitle } from '../ui';
import { ReplayNotice, RunBadge, eventText, type ReplayOutcome } from './runs';

const lineKey = (l: LogLine) => `${l.at}|${l.attempt}|${l.level}|${l.message}`;
const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

function appendLines(list: LogLine[], lines: LogLine[]): LogLine[] {
  const seen = new Set(list.map(lineKey));
  const added = lines.filter((l) => !seen.has(lineKey(l)));
  return added.length ? [...list, ...added].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)) : list;
}

export function RunPage() {
  const { id = '' } = useParams();
  useTitle(`Run ${id.slice(0, 8)}`);
  const navigate = useNavigate();
  const detail = useLoad(() => api.run(id), [id]);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [live, setLive] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<ReplayOutcome>();
  const setDetail = detail.setData;
  const loaded = detail.data !== undefined;
  const finished = detail.data?.status === 'succeeded' || detail.data?.status === 'failed';

  useEffect(() => setLogs((l) => appendLines(l, detail.data?.logs ?? [])), [detail.data?.logs]);
  useEffect(() => setLogs([]), [id]);

  useEffect(() => {
    if (!loaded || finished) return;
    const source = new EventSource(streams.run(id));
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    source.addEventListener('run', (e) => {
      const run = JSON.parse((e as MessageEvent<string>).data) as Run;
      setDetail((d) => (d ? { ...d, ...run, event: { ...d.event, ...run.event, payload: d.event.payload }, logs: d.logs } : d));
    });
    source.addEventListener('log', (e) => {
      const line = JSON.parse((e as MessageEvent<string>).data) as LogLine;
      setLogs((l) => appendLines(l, [line]));
    });
    source.addEventListener('end', () => {
      source.close();
      setLive(false);
      // The final state with every line, in case one arrived between the page load and the stream.
      void api.run(id).then(
        (d) => setDetail(d),
        () => undefined,
      );
    });
    return () => {
      source.close();
      setLive(false);
    };
  }, [id, loaded, finished, setDetail]);

  if (detail.error instanceof ApiError && detail.error.status === 404)
    return <NotFound what="run" back="/runs" backLabel="Go to all runs" />;
  if (detail.loading) return <Loading what="Loading the run" />;
  if (detail.error || !detail.data)
    return <ErrorNotice error={detail.error} retry={() => void detail.reload()} title="Cannot load this run" />;
  const run: RunDetail = detail.data;
  const tokens = run.promptTokens + run.completionTokens;

  const replay = async (what: 'run' | 'event') => {
    setBusy(what);
    setNotice(undefined);
    try {
      const { runs } = what === 'run' ? await api.replayRun(run.id) : await api.replayEvent(run.event.id);
      if (what === 'run' && runs.length === 1) return void navigate(`/runs/${runs[0].id}`);
      setNotice({
        tone: 'ok',
        text: runs.length
          ? `The event was sent again to ${runs.length} flow${runs.length === 1 ? '' : 's'}:`
          : 'No deployed flow listens to this event now.',
        runs,
      });
    } catch (e) {
      setNotice({ tone: 'bad', text: `Replay failed: ${messageOf(e)}` });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      <PageHeader
        title={
          <>
            {eventText(run)} <RunBadge status={run.status} />
          </>
        }
        sub={
          <>
            <Link to={`/flows/${encodeURIComponent(run.flowName)}`}>{run.flowName}</Link> · run <code>{run.id}</code>
          </>
        }
      >
        <button
          type="button"
          className="button"
          onClick={() => void replay('run')}
          disabled={Boolean(busy)}
          title="Run this flow again on a copy of the event"
        >
          {busy === 'run' ? 'Replaying…' : 'Replay run'}
        </button>
        <button
          type="button"
          className="button ghost"
          onClick={() => void replay('event')}
          disabled={Boolean(busy)}
          title="Send a copy of the event to every flow of yours that listens to it"
        >
          {busy === 'event' ? 'Replaying…' : 'Replay event'}
        </button>
      </PageHeader>

      {notice && <ReplayNotice outcome={notice} onClose={() => setNotice(undefined)} />}
      {run.error && (
        <Notice tone="bad" title={run.status === 'failed' ? 'The run failed' : 'The last attempt failed'}>
          <pre className="error-pre">{run.error}</pre>
        </Notice>
      )}

      <div className="grid three">
        <section className="card">
          <h2>Event</h2>
          <Facts
            items={[
              ['Source', run.event.provider],
              ['Event', eventText(run)],
              ['Target', run.event.target ?? '—'],
              ['Delivery', <code key="d">{run.event.deliveryId}</code>],
              ['Received', <Time key="r" at={run.event.receivedAt} />],
              ...(run.event.replayOf ? ([['Replay of', <code key="o">{run.event.replayOf}</code>]] as [string, React.ReactNode][]) : []),
            ]}
          />
        </section>
        <section className="card">
          <h2>Timing</h2>
          <Facts
            items={[
              ['Queued', <Time key="c" at={run.createdAt} />],
              ['Started', <Time key="s" at={run.startedAt} empty="not yet" />],
              ['Finished', <Time key="f" at={run.finishedAt} empty={finished ? '—' : 'not yet'} />],
              ['Duration', formatDuration(run.durationMs)],
              ['Attempts', String(run.attempts)],
            ]}
          />
        </section>
        <section className="card">
          <h2>LLM tokens</h2>
          <Facts
            items={[
              ['Prompt', String(run.promptTokens)],
              ['Completion', String(run.completionTokens)],
              ['Total', String(tokens)],
              ['Estimated cost', formatUsd(run.costUsd)],
            ]}
          />
        </section>
      </div>

      <section className="card">
        <div className="card-head">
          <h2>Log</h2>
          {live && <span className="live-dot live-live">Live</span>}
        </div>
        {logs.length === 0 ? (
          <p className="muted">
            {finished ? 'The flow wrote no log lines.' : 'No log lines yet. They appear here as the flow writes them.'}
          </p>
        ) : (
          <ol className="log-lines" aria-live="polite">
            {logs.map((l) => (
              <li key={lineKey(l)} className={`log-line level-${l.level}`}>
                <time dateTime={l.at}>{timeOfDay.format(new Date(l.at))}</time>
                <span className="log-attempt" title="Attempt">
                  #{l.attempt}
                </span>
                <span className="log-level">{l.level}</span>
                <span className="log-message">{l.message}</span>
                {l.fields && Object.keys(l.fields).length > 0 && <code className="log-fields">{JSON.stringify(l.fields)}</code>}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="card">
        <h2>Payload</h2>
        {run.event.payload === undefined ? (
          <p className="muted">The payload is not available.</p>
        ) : (
          <JsonViewer value={run.event.payload} />
        )}
      </section>
    </>
  );
}

/** An estimated cost: dollars to the cent, small amounts to four significant digits. */
function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  return usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(4)}`;
}

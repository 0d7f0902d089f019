/**
 * /runs: every run of the signed-in user, newest first, filtered by status and flow, kept up to date
 * through `EventSource('/api/runs/stream')`; select several and replay them. Also the run table the
 * flow page shows.
 */
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, messageOf, streams, type Run, type RunStatus } from '../api';
import { Badge, EmptyState, ErrorNotice, Loading, Notice, PageHeader, Time, formatDuration, useLoad, useTitle } from '../ui';

const STATUSES: RunStatus[] = ['queued', 'running', 'retrying', 'succeeded', 'failed'];
const PAGE = 50;

/** "github issues.opened octo-org/hello". */
export function eventText(run: Run): string {
  const e = run.event;
  return `${e.name}${e.action ? `.${e.action}` : ''}`;
}

export function RunBadge({ status }: { status: RunStatus }) {
  return <Badge status={status} pulse={status === 'running' || status === 'queued' || status === 'retrying'} />;
}

export function RunTable({
  runs,
  showFlow = true,
  selected,
  setSelected,
}: {
  runs: Run[];
  showFlow?: boolean;
  selected?: Set<string>;
  setSelected?: (s: Set<string>) => void;
}) {
  const selectable = Boolean(selected && setSelected);
  const all = selectable && runs.length > 0 && runs.every((r) => selected!.has(r.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected!(next);
  };
  return (
    <div className="table-wrap">
      <table className="table responsive runs">
        <thead>
          <tr>
            {selectable && (
              <th className="check">
                <input
                  type="checkbox"
                  aria-label="Select all shown runs"
                  checked={all}
                  onChange={() => setSelected!(all ? new Set() : new Set(runs.map((r) => r.id)))}
                />
              </th>
            )}
            <th>Run</th>
            <th>Status</th>
            {showFlow && <th>Flow</th>}
            <th>Event</th>
            <th>Attempts</th>
            <th>Tokens</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-run={run.id} className={selected?.has(run.id) ? 'selected' : undefined}>
              {selectable && (
                <td className="check">
                  <input
                    type="checkbox"
                    aria-label={`Select run ${run.id}`}
                    checked={selected!.has(run.id)}
                    onChange={() => toggle(run.id)}
                  />
                </td>
              )}
              <td data-label="Run">
                <Link to={`/runs/${run.id}`} className="strong">
                  <Time at={run.createdAt} />
                </Link>
                {run.event.replayOf && <span className="tag">replay</span>}
              </td>
              <td data-label="Status">
                <RunBadge status={run.status} />
              </td>
              {showFlow && (
                <td data-label="Flow">
                  <Link to={`/flows/${encodeURIComponent(run.flowName)}`}>{run.flowName}</Link>
                </td>
              )}
              <td data-label="Event">
                <span className="muted">{run.event.provider}</span> {eventText(run)}
                {run.event.target && <div className="small muted">{run.event.target}</div>}
              </td>
              <td data-label="Attempts">{run.attempts}</td>
              <td data-label="Tokens">{run.promptTokens + run.completionTokens || '—'}</td>
              <td data-label="Duration">{formatDuration(run.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Puts `run` where it belongs in a newest-first list (replacing an older copy), or drops it when it no longer matches. */
function merge(list: Run[], run: Run, matches: (r: Run) => boolean): Run[] {
  const rest = list.filter((r) => r.id !== run.id);
  if (!matches(run)) return rest;
  const at = rest.findIndex((r) => r.createdAt < run.createdAt);
  return at === -1 ? [...rest, run] : [...rest.slice(0, at), run, ...rest.slice(at)];
}

export function RunsPage() {
  useTitle('Runs');
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const flow = params.get('flow') ?? '';
  const flows = useLoad(() => api.flows(), []);
  const [more, setMore] = useState(false);
  const runs = useLoad(async () => {
    const list = await api.runs({ status, flow, limit: PAGE });
    setMore(list.length >= PAGE);
    return list;
  }, [status, flow]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [live, setLive] = useState<'connecting' | 'live' | 'offline'>('connecting');
  const [loadingMore, setLoadingMore] = useState(false);
  const [replaying, setReplaying] = useState(false);
  const [notice, setNotice] = useState<ReplayOutcome>();
  const setRuns = runs.setData;

  useEffect(() => setSelected(new Set()), [status, flow]);

  useEffect(() => {
    const source = new EventSource(streams.runs(flow || undefined));
    setLive('connecting');
    source.onopen = () => setLive('live');
    source.onerror = () => setLive(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.addEventListener('run', (e) => {
      const run = JSON.parse((e as MessageEvent<string>).data) as Run;
      setRuns((list) => (list ? merge(list, run, (r) => (!status || r.status === status) && (!flow || r.flowName === flow)) : list));
    });
    return () => source.close();
  }, [status, flow, setRuns]);

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const loadMore = async () => {
    const last = runs.data?.[runs.data.length - 1];
    if (!last) return;
    setLoadingMore(true);
    try {
      const older = await api.runs({ status, flow, limit: PAGE, before: last.createdAt });
      setRuns((list) => [...(list ?? []), ...older.filter((r) => !list?.some((x) => x.id === r.id))]);
      setMore(older.length >= PAGE);
    } catch (e) {
      setNotice({ tone: 'bad', text: messageOf(e) });
    } finally {
      setLoadingMore(false);
    }
  };

  const replay = async () => {
    setReplaying(true);
    setNotice(undefined);
    try {
      const { runs: started } = await api.replayRuns([...selected]);
      setSelected(new Set());
      setNotice({ tone: 'ok', text: `Replaying ${started.length} run${started.length === 1 ? '' : 's'}.`, runs: started });
    } catch (e) {
      setNotice({ tone: 'bad', text: `Replay failed: ${messageOf(e)}` });
    } finally {
      setReplaying(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Runs"
        sub={
          <span className={`live-dot live-${live}`} title="Updates arrive as they happen while this page is open">
            {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Not live: reload the page'}
          </span>
        }
      >
        {selected.size > 0 && (
          <button type="button" className="button primary" onClick={() => void replay()} disabled={replaying}>
            {replaying ? 'Replaying…' : `Replay ${selected.size} selected`}
          </button>
        )}
      </PageHeader>
      <div className="filters">
        <label>
          Status
          <select name="status" value={status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Flow
          <select name="flow" value={flow} onChange={(e) => setFilter('flow', e.target.value)}>
            <option value="">All flows</option>
            {flows.data?.map((f) => (
              <option key={f.id} value={f.name}>
                {f.name}
              </option>
            ))}
            {flow && !flows.data?.some((f) => f.name === flow) && <option value={flow}>{flow}</option>}
          </select>
        </label>
      </div>
      {notice && <ReplayNotice outcome={notice} onClose={() => setNotice(undefined)} />}
      {runs.loading && <Loading what="Loading runs" />}
      {runs.error && <ErrorNotice error={runs.error} retry={() => void runs.reload()} title="Cannot load runs" />}
      {runs.data && runs.data.length === 0 && (
        <EmptyState title={status || flow ? 'No runs match these filters' : 'No runs yet'}>
          {status || flow ? (
            <p>
              <button type="button" className="link-button" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
                Clear the filters
              </button>{' '}
              to see every run.
            </p>
          ) : (
            <p>
              A run starts each time an event reaches one of your <Link to="/flows">flows</Link>. This page shows new runs as they happen.
            </p>
          )}
        </EmptyState>
      )}
      {runs.data && runs.data.length > 0 && (
        <>
          <RunTable runs={runs.data} selected={selected} setSelected={setSelected} />
          {more && (
            <div className="more">
              <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Show older runs'}
              </button>
            </div>
          )}
        </>
      )}
    </>
  );
}

/** What a replay (or another action on runs) came to: a sentence, and links to the runs it started. */
export type ReplayOutcome = { tone: 'ok' | 'bad'; text: string; runs?: Run[] };

/** Shows a {@link ReplayOutcome}, each started run linked by its flow's name. */
export function ReplayNotice({ outcome, onClose }: { outcome: ReplayOutcome; onClose: () => void }) {
  return (
    <Notice tone={outcome.tone} onClose={onClose}>
      {outcome.text}{' '}
      {outcome.runs?.map((r) => (
        <Link key={r.id} to={`/runs/${r.id}`} className="inline-link">
          {r.flowName}
        </Link>
      ))}
    </Notice>
  );
}

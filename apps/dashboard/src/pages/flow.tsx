/**
 * /flows/:name: one flow. Status and reason (with its install link), actions (redeploy, pause/resume,
 * undeploy, delete), subscriptions, variables (edit → redeploy), the deployment history with each
 * version's build log and which one is live, and the flow's latest runs. Polls while building.
 */
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, messageOf, type Deployment, type DeploymentSource, type Flow, type LlmUsage } from '../api';
import {
  Badge,
  ConfirmButton,
  EmptyState,
  ErrorNotice,
  Facts,
  Linkified,
  Loading,
  Notice,
  NotFound,
  PageHeader,
  Time,
  useInterval,
  useLoad,
  useTitle,
} from '../ui';
import { EnvFields, envOf, missingRequired, type EnvRow } from './env-form';
import { FlowBadge, flowStatusText } from './flows';
import { RunTable } from './runs';

export function sourceText(source: DeploymentSource | null | undefined): string {
  if (!source) return 'unknown source';
  switch (source.kind) {
    case 'bundle':
      return 'bundle from the CLI';
    case 'git':
      return `${source.url}${source.branch ? ` @ ${source.branch}` : ''}${source.path ? ` : ${source.path}` : ''}${source.commit ? ` (${source.commit.slice(0, 7)})` : ''}`;
    case 'upload':
      return `uploaded folder (${Array.isArray(source.files) ? source.files.length : source.files} files)`;
  }
}

export function FlowPage() {
  const { name = '' } = useParams();
  useTitle(name);
  const navigate = useNavigate();
  const flow = useLoad(() => api.flow(name), [name]);
  const deployments = useLoad(() => api.deployments(name), [name]);
  const runs = useLoad(() => api.flowRuns(name, { limit: 10 }), [name]);
  const llmUsage = useLoad(() => api.llmUsage(name), [name]);
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [editing, setEditing] = useState(false);

  const building =
    flow.data?.status === 'building' || flow.data?.status === 'pending' || deployments.data?.some((d) => d.status === 'building');
  useInterval(
    () => {
      void flow.reload();
      void deployments.reload();
    },
    2000,
    Boolean(building),
  );
  useInterval(() => void runs.reload(), 5000, flow.data?.status === 'running');

  if (flow.error instanceof ApiError && flow.error.status === 404) return <NotFound what={`flow named “${name}”`} />;
  if (flow.loading) return <Loading what={`Loading ${name}`} />;
  if (flow.error || !flow.data) return <ErrorNotice error={flow.error} retry={() => void flow.reload()} title={`Cannot load ${name}`} />;
  const f = flow.data;

  const act = async (label: string, action: () => Promise<unknown>, done?: string) => {
    setBusy(label);
    setActionError(undefined);
    setMessage(undefined);
    try {
      const result = await action();
      if (result && typeof result === 'object' && 'name' in result) flow.setData(result as Flow);
      if (done) setMessage(done);
      await Promise.all([flow.reload(), deployments.reload()]);
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(undefined);
    }
  };

  const deployed = f.status !== 'undeployed';
  return (
    <>
      <PageHeader
        title={
          <>
            {f.name} <FlowBadge status={f.status} />
          </>
        }
        sub={<Link to="/flows">← All flows</Link>}
      >
        <button
          type="button"
          className="button"
          disabled={Boolean(busy) || f.status === 'building'}
          onClick={() => void act('redeploy', () => api.redeploy(f.name), 'A new version is being built.')}
        >
          {busy === 'redeploy' ? 'Starting…' : deployed ? 'Redeploy' : 'Deploy again'}
        </button>
        {f.status === 'paused' ? (
          <button
            type="button"
            className="button"
            disabled={Boolean(busy)}
            onClick={() => void act('resume', () => api.resume(f.name), 'Resumed: the flow receives events again.')}
          >
            Resume
          </button>
        ) : (
          deployed && (
            <button
              type="button"
              className="button"
              disabled={Boolean(busy) || f.status === 'building'}
              onClick={() =>
                void act('pause', () => api.pause(f.name), 'Paused: events are not delivered to this flow until you resume it.')
              }
            >
              Pause
            </button>
          )
        )}
        {deployed && (
          <ConfirmButton
            label="Undeploy"
            question="Stop this flow? Its history stays."
            confirm="Yes, undeploy"
            className="button"
            disabled={Boolean(busy)}
            onConfirm={() =>
              act('undeploy', () => api.undeploy(f.name), 'Undeployed: the flow receives no events. Deploy it again at any time.')
            }
          />
        )}
        <ConfirmButton
          label="Delete"
          question="Delete the flow with all its versions and runs?"
          confirm="Yes, delete for good"
          disabled={Boolean(busy)}
          onConfirm={async () => {
            try {
              await api.purge(f.name);
              void navigate('/flows', { replace: true });
            } catch (e) {
              setActionError(messageOf(e));
            }
          }}
        />
      </PageHeader>

      {message && (
        <Notice tone="ok" onClose={() => setMessage(undefined)}>
          {message}
        </Notice>
      )}
      {actionError && (
        <Notice tone="bad" title="That did not work" onClose={() => setActionError(undefined)}>
          {actionError}
        </Notice>
      )}
      <StatusNotice flow={f} />

      <div className="grid two">
        <section className="card">
          <h2>Overview</h2>
          <Facts
            items={[
              ['Status', flowStatusText[f.status]],
              ['Live version', f.version ? `v${f.version}` : '—'],
              ['Deployed', <Time key="d" at={f.deployedAt} />],
              ['Source', sourceText(f.latestDeployment?.source)],
            ]}
          />
        </section>
        <section className="card">
          <h2>Listens to</h2>
          {f.subscriptions.length === 0 ? (
            <p className="muted">
              No subscriptions. A flow subscribes when its code calls a source builder such as <code>github.repo(…)</code>.
            </p>
          ) : (
            <ul className="plain-list">
              {f.subscriptions.map((s) => (
                <li key={`${s.provider}:${s.target}:${s.event}`}>
                  <span className="strong">{s.provider}</span> <code>{s.target}</code> · {s.event}{' '}
                  {s.registered ? <Badge status="active" label="registered" /> : <Badge status="unregistered" label="not registered" />}
                </li>
              ))}
            </ul>
          )}
          {f.endpoints && f.endpoints.length > 0 && (
            <>
              <h3>Endpoints</h3>
              <ul className="plain-list">
                {f.endpoints.map((e) => (
                  <li key={e.name}>
                    <span className="strong">{e.name}</span> <code>{e.url}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {f.schedules && f.schedules.length > 0 && (
            <>
              <h3>Schedules</h3>
              <ul className="plain-list">
                {f.schedules.map((s) => (
                  <li key={`${s.expression}:${s.timezone}`}>
                    <code>{s.expression}</code> ({s.timezone}) · next {s.nextRunAt ? <Time at={s.nextRunAt} /> : 'none while paused'}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>

      <section className="card">
        <div className="card-head">
          <h2>Variables</h2>
          {!editing && (
            <button type="button" className="button small" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
        </div>
        {editing ? (
          <EnvEditor
            flow={f}
            onCancel={() => setEditing(false)}
            onSave={async (env) => {
              await act('redeploy', () => api.redeploy(f.name, env), 'Saved. A new version with these variables is being built.');
              setEditing(false);
            }}
          />
        ) : Object.keys(f.env).length === 0 ? (
          <p className="muted">No variables set.</p>
        ) : (
          <Facts items={Object.entries(f.env).map(([k, v]) => [k, <code key={k}>{v}</code>])} />
        )}
      </section>

      <section className="card">
        <div className="card-head">
          <h2>Recent runs</h2>
          <Link to={`/runs?flow=${encodeURIComponent(f.name)}`}>All runs of {f.name} →</Link>
        </div>
        {runs.error && <ErrorNotice error={runs.error} retry={() => void runs.reload()} />}
        {runs.data && runs.data.length === 0 && (
          <EmptyState title="No runs yet">
            <p>
              A run starts when an event the flow listens to arrives
              {f.subscriptions[0] ? ` (for example ${f.subscriptions[0].event} on ${f.subscriptions[0].target})` : ''}.
            </p>
          </EmptyState>
        )}
        {runs.data && runs.data.length > 0 && <RunTable runs={runs.data} showFlow={false} />}
      </section>

      {llmUsage.data && <LlmUsageCard usage={llmUsage.data} />}

      <section className="card">
        <h2>Deployments</h2>
        {deployments.error && <ErrorNotice error={deployments.error} retry={() => void deployments.reload()} />}
        {deployments.data && deployments.data.length === 0 && <p className="muted">No deployments.</p>}
        {deployments.data && deployments.data.length > 0 && (
          <ol className="deployments">
            {deployments.data.map((d) => (
              <DeploymentItem
                key={d.id}
                flow={f.name}
                deployment={d}
                open={d.status === 'building' || (d.status === 'failed' && d === deployments.data![0])}
              />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function StatusNotice({ flow }: { flow: Flow }) {
  switch (flow.status) {
    case 'building':
      return (
        <Notice tone="info" title="Building…">
          The platform is fetching and bundling the source. This page updates by itself.
        </Notice>
      );
    case 'unregistered':
      return (
        <Notice tone="warn" title="Deployed, but not receiving events yet">
          {flow.reason ? <Linkified text={flow.reason} /> : 'No connection delivers the events this flow listens to.'}{' '}
          <Link to="/connections">Open connections</Link>
        </Notice>
      );
    case 'error':
      return (
        <Notice tone="bad" title="The last deployment failed">
          {flow.reason ? <Linkified text={flow.reason} /> : 'See the build log below.'}
        </Notice>
      );
    case 'paused':
      return (
        <Notice tone="info" title="Paused">
          Events that arrive while paused are not delivered to this flow.
        </Notice>
      );
    case 'pending':
    case 'running':
    case 'undeployed':
      return flow.reason ? (
        <Notice tone="info">
          <Linkified text={flow.reason} />
        </Notice>
      ) : null;
  }
}

function EnvEditor({
  flow,
  onCancel,
  onSave,
}: {
  flow: Flow;
  onCancel: () => void;
  onSave: (env: Record<string, string>) => Promise<void>;
}) {
  const declaredNames = Object.keys(flow.variables ?? {});
  const [declared, setDeclared] = useState<Record<string, string>>(Object.fromEntries(declaredNames.map((k) => [k, flow.env[k] ?? ''])));
  const [extra, setExtra] = useState<EnvRow[]>(
    Object.entries(flow.env)
      .filter(([k]) => !declaredNames.includes(k))
      .map(([key, value]) => ({ key, value })),
  );
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  return (
    <form
      className="form"
      onSubmit={async (e) => {
        e.preventDefault();
        const missing = missingRequired(flow.variables ?? {}, declared);
        if (missing.length) return setError(`Fill in the required variables: ${missing.join(', ')}.`);
        setSaving(true);
        try {
          await onSave(envOf(declared, extra));
        } finally {
          setSaving(false);
        }
      }}
    >
      <EnvFields variables={flow.variables ?? {}} declared={declared} setDeclared={setDeclared} extra={extra} setExtra={setExtra} />
      {error && <Notice tone="bad">{error}</Notice>}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save and redeploy'}
        </button>
        <button type="button" className="button ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeploymentItem({ flow, deployment: d, open }: { flow: string; deployment: Deployment; open: boolean }) {
  const [shown, setShown] = useState(open);
  const log = useLoad(() => (shown ? api.deployment(flow, d.version) : Promise.resolve(undefined)), [flow, d.version, shown, d.status]);
  useInterval(() => void log.reload(), 2000, shown && d.status === 'building');
  return (
    <li className={`deployment${d.live ? ' live' : ''}`} data-version={d.version}>
      <div className="deployment-head">
        <span className="strong">v{d.version}</span>
        <Badge status={d.status} pulse={d.status === 'building'} />
        {d.live && <Badge status="running" label="live" />}
        <span className="muted small">{sourceText(d.source)}</span>
        <span className="muted small">
          <Time at={d.createdAt} />
          {d.finishedAt &&
            d.createdAt &&
            ` · took ${Math.max(0, Math.round((Date.parse(d.finishedAt) - Date.parse(d.createdAt)) / 1000))} s`}
        </span>
        <button type="button" className="link-button" aria-expanded={shown} onClick={() => setShown(!shown)}>
          {shown ? 'Hide build log' : 'Build log'}
        </button>
      </div>
      {d.error && <p className="error-text">{d.error}</p>}
      {shown && (
        <div className="build-log">
          {log.loading && <Loading what="Loading the build log" />}
          {log.error && <ErrorNotice error={log.error} retry={() => void log.reload()} />}
          {log.data && <pre className="code log">{log.data.buildLog?.trim() || 'No build log (this version came as a ready bundle).'}</pre>}
        </div>
      )}
    </li>
  );
}

/** The flow's LLM tokens and estimated cost of the last days, and this month's tokens against its budget. */
function LlmUsageCard({ usage }: { usage: LlmUsage }) {
  const budget = usage.monthlyTokens === null ? 'no monthly budget' : `of a monthly budget of ${usage.monthlyTokens}`;
  return (
    <section className="card" data-card="llm-usage">
      <h2>LLM use</h2>
      <p className="muted">
        {usage.monthTokens} tokens this month, {budget}.
      </p>
      <table className="table responsive">
        <thead>
          <tr>
            <th>Day (UTC)</th>
            <th>Calls</th>
            <th>Prompt tokens</th>
            <th>Completion tokens</th>
            <th>Estimated cost</th>
          </tr>
        </thead>
        <tbody>
          {[...usage.days].reverse().map((day) => (
            <tr key={day.date}>
              <td data-label="Day">{day.date}</td>
              <td data-label="Calls">{day.calls}</td>
              <td data-label="Prompt tokens">{day.promptTokens}</td>
              <td data-label="Completion tokens">{day.completionTokens}</td>
              <td data-label="Estimated cost">${day.costUsd.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

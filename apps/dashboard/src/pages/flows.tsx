/**
 * /flows: every flow of the signed-in user with its status and the reason when it needs attention.
 */
import { Link } from 'react-router';
import { api, type Flow, type FlowStatus } from '../api';
import { Badge, EmptyState, ErrorNotice, Linkified, Loading, PageHeader, Time, useInterval, useLoad, useTitle } from '../ui';

/** What each flow status means, in words (also the badge's tooltip). */
export const flowStatusText: Record<FlowStatus, string> = {
  pending: 'Deployed, waiting to be registered',
  building: 'Being built from its source',
  unregistered: 'Deployed, but no connection delivers its events yet',
  running: 'Receiving events',
  paused: 'Paused: receives no events',
  error: 'The last deployment failed',
  undeployed: 'Not deployed',
};

export function FlowBadge({ status }: { status: FlowStatus }) {
  return (
    <span title={flowStatusText[status]}>
      <Badge status={status} pulse={status === 'building'} />
    </span>
  );
}

export function FlowsPage() {
  useTitle('Flows');
  const flows = useLoad(() => api.flows(), []);
  const building = flows.data?.some((f) => f.status === 'building' || f.status === 'pending') ?? false;
  useInterval(() => void flows.reload(), 3000, building);

  return (
    <>
      <PageHeader title="Flows" sub="Small TypeScript functions that react to GitHub and Slack events.">
        <Link className="button primary" to="/flows/new">
          New flow
        </Link>
      </PageHeader>
      {flows.loading && <Loading what="Loading your flows" />}
      {flows.error && <ErrorNotice error={flows.error} retry={() => void flows.reload()} title="Cannot load your flows" />}
      {flows.data && flows.data.length === 0 && (
        <EmptyState
          title="No flows yet"
          action={
            <Link className="button primary" to="/flows/new">
              Deploy your first flow
            </Link>
          }
        >
          <p>
            Deploy one from a git repository or a folder on your computer. The example <code>flows/github-chat</code> answers GitHub issues
            with an LLM.
          </p>
          <p className="muted">
            Before it can answer, <Link to="/connections">connect GitHub</Link> and <Link to="/secrets">store an LLM key</Link>. From a
            terminal: <code>npx openflows deploy flows/github-chat</code>.
          </p>
        </EmptyState>
      )}
      {flows.data && flows.data.length > 0 && <FlowTable flows={flows.data} />}
    </>
  );
}

function FlowTable({ flows }: { flows: Flow[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <thead>
          <tr>
            <th>Flow</th>
            <th>Status</th>
            <th>Version</th>
            <th>Deployed</th>
            <th>Listens to</th>
          </tr>
        </thead>
        <tbody>
          {flows.map((flow) => (
            <tr key={flow.id} data-flow={flow.name}>
              <td data-label="Flow">
                <Link to={`/flows/${encodeURIComponent(flow.name)}`} className="strong">
                  {flow.name}
                </Link>
                {flow.reason && (
                  <div className="reason small">
                    <Linkified text={flow.reason} />
                  </div>
                )}
              </td>
              <td data-label="Status">
                <FlowBadge status={flow.status} />
              </td>
              <td data-label="Version">{flow.version ? `v${flow.version}` : '—'}</td>
              <td data-label="Deployed">
                <Time at={flow.deployedAt} />
              </td>
              <td data-label="Listens to" className="small">
                {flow.subscriptions.length === 0 ? (
                  <span className="muted">nothing yet</span>
                ) : (
                  [...new Set(flow.subscriptions.map((s) => `${s.provider} ${s.target}`))].join(', ')
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

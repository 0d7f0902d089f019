/**
 * The OpenFlows dashboard: a React SPA served by apps/api from dist/dashboard, talking only to the
 * public API (./api.ts). Routes: /login, /setup, and behind a session /flows, /flows/new,
 * /flows/:name, /runs, /runs/:id, /connections, /secrets, /tokens.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Layout } from './layout';
import { LoginPage, SetupPage } from './pages/auth';
import { ConnectionsPage } from './pages/connections';
import { FlowPage } from './pages/flow';
import { FlowsPage } from './pages/flows';
import { NewFlowPage } from './pages/new-flow';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { SecretsPage } from './pages/secrets';
import { TokensPage } from './pages/tokens';
import { SessionProvider } from './session';
import { NotFound } from './ui';
import './styles.css';

function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/setup" element={<SetupPage />} />
          <Route element={<Layout />}>
            <Route index element={<Navigate to="/flows" replace />} />
            <Route path="/flows" element={<FlowsPage />} />
            <Route path="/flows/new" element={<NewFlowPage />} />
            <Route path="/flows/:name" element={<FlowPage />} />
            <Route path="/runs" element={<RunsPage />} />
            <Route path="/runs/:id" element={<RunPage />} />
            <Route path="/connections" element={<ConnectionsPage />} />
            <Route path="/secrets" element={<SecretsPage />} />
            <Route path="/tokens" element={<TokensPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

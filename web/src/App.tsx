import { Center, Loader } from '@mantine/core';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api';
import { Shell } from './Shell';
import { SessionContext, useSessionQuery } from './session';
import { ErrorNotice } from './ui';
import { EntitlementsPage } from './pages/Entitlements';
import { EntitlementEditPage } from './pages/EntitlementEdit';
import { ServersPage } from './pages/Servers';
import { ServerPage } from './pages/Server';
import { SettingsPage } from './pages/Settings';
import { SetupPage } from './pages/Setup';
import { WebhooksPage } from './pages/Webhooks';
import { WebhooksEndpointPage } from './pages/WebhooksEndpoint';
import { JobsPage } from './pages/Jobs';
import { SignInPage } from './pages/SignIn';
import { AlertsPage } from './pages/Alerts';
import { OverviewPage } from './pages/Overview';
import { SubscriberPage } from './pages/Subscriber';
import { SubscribersPage } from './pages/Subscribers';

/**
 * The app's routes. Rolegate serves index.html for each of these paths (src/http/web-app.ts
 * lists them): add a path there when you add one here.
 */
export function App() {
  const location = useLocation();
  const session = useSessionQuery();
  if (location.pathname === '/sign-in') return <SignInPage />;
  if (session.isPending)
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (session.error) {
    if (session.error instanceof ApiError && session.error.status === 401)
      return <Navigate to="/sign-in" replace />;
    return <ErrorNotice error={session.error} />;
  }
  return (
    <SessionContext.Provider value={session.data}>
      <Shell>
        <Routes>
          <Route path="/" element={<OverviewPage />} />
          <Route path="/setup" element={<SetupPage />} />
          <Route path="/servers" element={<ServersPage />} />
          <Route path="/servers/:id" element={<ServerPage />} />
          <Route path="/entitlements" element={<EntitlementsPage />} />
          <Route path="/entitlements/new" element={<EntitlementEditPage />} />
          <Route path="/entitlements/:id" element={<EntitlementEditPage />} />
          <Route path="/subscribers" element={<SubscribersPage />} />
          <Route path="/subscribers/:id" element={<SubscriberPage />} />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="/webhooks/:id" element={<WebhooksEndpointPage />} />
          <Route path="/jobs" element={<JobsPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Shell>
    </SessionContext.Provider>
  );
}

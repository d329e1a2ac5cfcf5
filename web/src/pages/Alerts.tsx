import { Alert, Anchor, Loader, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api';
import { ErrorNotice, PageHeader, formatDate } from '../ui';
import type { AlertItem } from './SubscriberTypes';

/** Where the merchant fixes an alert. */
function fixLink(a: AlertItem): { to: string; label: string } | null {
  switch (a.kind) {
    case 'server_paused':
    case 'server_removed':
      return a.server_id ? { to: `/servers/${a.server_id}`, label: 'Open the server' } : null;
    case 'grants_failed':
      return {
        to: `/subscribers?status=failed${a.server_id ? `&server_id=${a.server_id}` : ''}`,
        label: 'See the failed subscribers',
      };
    case 'jobs_dead':
      return { to: '/jobs', label: 'Open the jobs' };
    case 'webhook_endpoint_disabled':
      return { to: '/webhooks', label: 'Open the webhooks' };
  }
}

/** One alert: what is wrong, what to do, and where. */
export function AlertCard({ a }: { a: AlertItem }) {
  const link = fixLink(a);
  return (
    <Alert
      color={a.severity === 'critical' ? 'red' : 'orange'}
      title={
        <>
          <Text span fz="xs" fw={800} tt="uppercase" mr={8}>
            {a.severity}
          </Text>
          {a.title}
        </>
      }
      styles={{ message: { color: '#212529' } }}
    >
      <Stack gap={4}>
        <Text fz="sm">{a.message}</Text>
        <Text fz="sm">
          <strong>Fix:</strong> {a.fix}
        </Text>
        <Text fz="xs" c="#343a40">
          {a.since ? `Since ${formatDate(a.since)}` : null}
          {a.count > 1 ? ` · ${a.count} affected` : null}
        </Text>
        {link ? (
          <Anchor component={Link} to={link.to} fz="sm" c="#2b3a9e" underline="always">
            {link.label}
          </Anchor>
        ) : null}
      </Stack>
    </Alert>
  );
}

/** What needs attention now; computed from the current state, so a fixed problem disappears. */
export function AlertsPage() {
  const alerts = useQuery({
    queryKey: ['alerts'],
    queryFn: () => api.get<{ data: AlertItem[] }>('/api/alerts'),
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Problems that stop buyers from getting their roles. Each disappears by itself once fixed."
      />
      {alerts.isPending ? <Loader aria-label="Loading alerts" /> : null}
      {alerts.error ? <ErrorNotice error={alerts.error} /> : null}
      {alerts.data?.data.length === 0 ? (
        <Text role="status">Nothing needs your attention. Every server is syncing.</Text>
      ) : null}
      <Stack>
        {alerts.data?.data.map((a) => (
          <AlertCard key={a.id} a={a} />
        ))}
      </Stack>
    </>
  );
}

import { Anchor, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api';
import { ErrorNotice, PageHeader, formatMoney } from '../ui';
import { AlertCard } from './Alerts';
import { NewLostChart } from './OverviewChart';
import type { Overview } from './SubscriberTypes';

function Figure({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <Card withBorder>
      <Text fz="sm" c="#343a40" fw={600}>
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.3} style={{ overflowWrap: 'anywhere' }}>
        {value}
      </Text>
      {note ? (
        <Text fz="xs" c="#343a40">
          {note}
        </Text>
      ) : null}
    </Card>
  );
}

/** The home page: members, MRR, new and lost in 30 days, and what needs attention. */
export function OverviewPage() {
  const data = useQuery({
    queryKey: ['overview'],
    queryFn: () => api.get<Overview>('/api/overview'),
    refetchInterval: 30_000,
  });
  if (data.isPending) return <Loader aria-label="Loading the overview" />;
  if (data.error) return <ErrorNotice error={data.error} />;
  const o = data.data;
  const mrr =
    o.mrr.length === 0
      ? formatMoney(0, 'usd')
      : o.mrr.map((m) => formatMoney(m.amount, m.currency)).join(' + ');
  const subs = o.mrr.reduce((n, m) => n + m.subscriptions, 0);
  const alerts = o.attention.alerts;
  return (
    <>
      <PageHeader title="Overview" description="Your members and revenue at a glance." />
      <Stack gap="lg">
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Needs attention
          </Title>
          {alerts.length === 0 ? (
            <Text fz="sm">Nothing: every server is syncing.</Text>
          ) : (
            <Stack gap="sm">
              {alerts.map((a) => (
                <AlertCard key={a.id} a={a} />
              ))}
              <Anchor component={Link} to="/alerts" fz="sm" c="#2b3a9e" underline="always">
                All alerts
              </Anchor>
            </Stack>
          )}
        </Card>
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm">
          <Figure label="Active members" value={String(o.active_members)} note="Grants with access now" />
          <Figure
            label="Monthly recurring revenue"
            value={mrr}
            note={`${subs} renewing subscription${subs === 1 ? '' : 's'}`}
          />
          <Figure label="New, last 30 days" value={String(o.last_30_days.new)} />
          <Figure label="Lost, last 30 days" value={String(o.last_30_days.lost)} />
        </SimpleGrid>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            New and lost members, last 30 days
          </Title>
          <NewLostChart days={o.last_30_days.days} />
        </Card>
        <Card withBorder>
          <Group justify="space-between" mb="xs" wrap="wrap">
            <Title order={2} size="h4">
              Active members per entitlement
            </Title>
            <Anchor component={Link} to="/subscribers" fz="sm" c="#2b3a9e" underline="always">
              All subscribers
            </Anchor>
          </Group>
          {o.entitlements.length === 0 ? (
            <Text fz="sm">
              Nothing for sale yet.{' '}
              <Anchor component={Link} to="/entitlements/new" c="#2b3a9e" underline="always">
                Create an entitlement
              </Anchor>
            </Text>
          ) : (
            <Table fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Entitlement</Table.Th>
                  <Table.Th scope="col">Server</Table.Th>
                  <Table.Th scope="col" style={{ textAlign: 'right' }}>
                    Members
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {o.entitlements.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      <Anchor component={Link} to={`/subscribers?entitlement_id=${e.id}`} c="#2b3a9e">
                        {e.name}
                      </Anchor>
                      {e.archived ? ' (archived)' : ''}
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{e.server.name}</Table.Td>
                    <Table.Td style={{ textAlign: 'right' }}>{e.active_members}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      </Stack>
    </>
  );
}

import { Button, Card, Group, Loader, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Entitlement, type Page, type Server } from '../api';
import { CopyValue, ErrorNotice, PageHeader, formatMoney } from '../ui';

/** What is for sale, with each offer link ready to copy. */
export function EntitlementsPage() {
  const list = useQuery({
    queryKey: ['entitlements'],
    queryFn: () => api.get<Page<Entitlement>>('/api/entitlements?limit=100'),
  });
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: () => api.get<Page<Server>>('/api/servers?limit=100'),
  });
  const serverName = (id: string) => servers.data?.data.find((s) => s.id === id)?.name ?? id;
  return (
    <>
      <PageHeader
        title="Entitlements"
        description="What you sell: a server's roles, a price and how long access lasts."
        actions={
          <Button component={Link} to="/entitlements/new">
            New entitlement
          </Button>
        }
      />
      {list.isPending ? <Loader aria-label="Loading entitlements" /> : null}
      {list.error ? <ErrorNotice error={list.error} /> : null}
      <Stack>
        {list.data?.data.length === 0 ? <Text>Nothing for sale yet. Click New entitlement.</Text> : null}
        {list.data?.data.map((e) => (
          <Card key={e.id} withBorder>
            <Group justify="space-between" wrap="wrap" mb="xs">
              <Group gap="xs">
                <Text fw={600}>{e.name}</Text>
                {e.archived_at ? (
                  <Text span fw={700} c="#343a40" fz="sm">
                    ARCHIVED
                  </Text>
                ) : (
                  <Text span fw={700} c="#1b5e20" fz="sm">
                    ON SALE
                  </Text>
                )}
              </Group>
              <Button
                component={Link}
                to={`/entitlements/${e.id}`}
                variant="default"
                aria-label={`Edit ${e.name}`}
              >
                Edit
              </Button>
            </Group>
            <Text size="sm">
              {serverName(e.server_id)} · {e.role_ids.length} role{e.role_ids.length === 1 ? '' : 's'} ·{' '}
              {e.prices
                .map((p) => formatMoney(p.amount, p.currency) + (p.interval ? ` / ${p.interval}` : ''))
                .join(', ') || 'no price'}
            </Text>
            <Text size="sm" mt="xs">
              Offer link
            </Text>
            <CopyValue value={`${window.location.origin}/offers/${e.id}`} label={`offer link of ${e.name}`} />
          </Card>
        ))}
      </Stack>
    </>
  );
}

import { Alert, Button, Card, Group, Loader, Stack, Text } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, type Page, type Server } from '../api';
import { ErrorNotice, PageHeader } from '../ui';

export function statusBadge(status: string) {
  const color = status === 'active' ? '#1b5e20' : status === 'paused' ? '#8a3c00' : '#343a40';
  const label = status === 'removed' ? 'bot removed' : status;
  return (
    <Text span fw={700} c={color} tt="uppercase" fz="sm">
      {label}
    </Text>
  );
}

/** Connected servers with their status, and "Add server" (the bot-install consent on Discord). */
export function ServersPage() {
  const [params] = useSearchParams();
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: () => api.get<Page<Server>>('/api/servers?limit=100'),
  });
  const add = useMutation({
    mutationFn: () => api.get<{ url: string }>('/api/servers/install-url'),
    onSuccess: ({ url }) => window.location.assign(url),
  });
  const added = params.get('added');
  return (
    <>
      <PageHeader
        title="Servers"
        description="Discord servers where the Rolegate bot is installed."
        actions={
          <Button onClick={() => add.mutate()} loading={add.isPending}>
            Add server
          </Button>
        }
      />
      {add.error ? <ErrorNotice error={add.error} title="Could not start the install" /> : null}
      {added ? (
        <Alert color="green" title="Server connected" mb="md">
          The bot is in. Check its roles below, then pick the roles channel.
        </Alert>
      ) : null}
      {servers.isPending ? <Loader aria-label="Loading servers" /> : null}
      {servers.error ? <ErrorNotice error={servers.error} /> : null}
      <Stack>
        {servers.data?.data.length === 0 ? (
          <Text>No server yet. Click Add server and pick a server you manage on Discord.</Text>
        ) : null}
        {servers.data?.data.map((s) => (
          <Card key={s.id} withBorder padding="md">
            <Group justify="space-between" wrap="wrap">
              <Stack gap={2}>
                <Group gap="xs">
                  <Text fw={600} component={Link} to={`/servers/${s.id}`} c="#2b3a9e" td="underline">
                    {s.name}
                  </Text>
                  {statusBadge(s.status)}
                </Group>
                {s.pause_reason ? (
                  <Text size="sm" c="#8a3c00">
                    Paused: {s.pause_reason}
                  </Text>
                ) : null}
                {s.status === 'removed' ? (
                  <Text size="sm">
                    The bot was removed from this server. Click Add server to install it again.
                  </Text>
                ) : null}
              </Stack>
              <Button
                component={Link}
                to={`/servers/${s.id}`}
                variant="default"
                aria-label={`Manage ${s.name}`}
              >
                Manage
              </Button>
            </Group>
          </Card>
        ))}
      </Stack>
    </>
  );
}

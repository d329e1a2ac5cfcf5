import {
  Alert,
  Button,
  Card,
  Group,
  Loader,
  MultiSelect,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, type Page } from '../api';
import { ErrorNotice, PageHeader } from '../ui';
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint } from './WebhooksEvents';

/** An endpoint's URL, state, description and the events it receives. */
export function EndpointSummary({ e }: { e: WebhookEndpoint }) {
  return (
    <>
      <Group gap="xs" wrap="wrap">
        <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
          {e.url}
        </Text>
        {endpointState(e)}
      </Group>
      <Text fz="sm" c="#495057">
        {e.description ? `${e.description} · ` : ''}
        {e.event_types.length ? e.event_types.join(', ') : 'every event'}
      </Text>
    </>
  );
}

export function endpointState(e: WebhookEndpoint) {
  return e.enabled ? (
    <Text span fw={700} fz="sm" c="#1b5e20" tt="uppercase">
      enabled
    </Text>
  ) : (
    <Text span fw={700} fz="sm" c="#a61b1b" tt="uppercase">
      disabled
    </Text>
  );
}

function CreateEndpoint() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: () =>
      api.post<WebhookEndpoint & { secret: string }>('/api/webhook-endpoints', {
        url,
        description,
        event_types: events,
      }),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ['webhook-endpoints'] });
      void navigate(`/webhooks/${created.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Card withBorder padding="md" component="section" aria-labelledby="new-endpoint">
      <Title order={2} size="h4" id="new-endpoint" mb="sm">
        Add an endpoint
      </Title>
      <form onSubmit={submit}>
        <Stack gap="sm">
          <TextInput
            label="URL"
            description="Rolegate POSTs signed events here (Standard Webhooks signatures)."
            placeholder="https://example.com/rolegate-events"
            required
            type="url"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
          />
          <TextInput
            label="Description"
            maxLength={500}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <MultiSelect
            label="Events"
            description="None picked: every event."
            data={WEBHOOK_EVENT_TYPES}
            value={events}
            onChange={setEvents}
            clearable
            comboboxProps={{ withinPortal: true }}
          />
          {create.error ? <ErrorNotice error={create.error} title="The endpoint was not created" /> : null}
          <Group>
            <Button type="submit" loading={create.isPending}>
              Create endpoint
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** Merchant webhook endpoints: the list, and a form to add one. */
export function WebhooksPage() {
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints'],
    queryFn: () => api.get<Page<WebhookEndpoint>>('/api/webhook-endpoints?limit=100'),
  });
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Rolegate tells your own systems when access is granted, revoked or a server pauses."
      />
      <Stack>
        {endpoints.isPending ? <Loader aria-label="Loading endpoints" /> : null}
        {endpoints.error ? <ErrorNotice error={endpoints.error} /> : null}
        {endpoints.data?.data.length === 0 ? <Text>No endpoint yet.</Text> : null}
        {endpoints.data?.data.map((e) => (
          <Card key={e.id} withBorder padding="md">
            <Group justify="space-between" wrap="wrap" gap="xs">
              <Stack gap={2} style={{ flex: '1 1 14rem', minWidth: 0 }}>
                <EndpointSummary e={e} />
                {e.disabled_reason ? (
                  <Alert color="red" p="xs">
                    {e.disabled_reason}
                  </Alert>
                ) : null}
              </Stack>
              <Button
                component={Link}
                to={`/webhooks/${e.id}`}
                variant="default"
                aria-label={`Open ${e.url}`}
              >
                Open
              </Button>
            </Group>
          </Card>
        ))}
        <CreateEndpoint />
      </Stack>
    </>
  );
}

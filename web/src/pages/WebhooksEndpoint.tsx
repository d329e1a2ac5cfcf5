import { Alert, Anchor, Button, Card, Code, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type Page } from '../api';
import { CopyValue, ErrorNotice, PageHeader, formatDate } from '../ui';
import { EndpointSummary } from './Webhooks';
import { ConfirmButton } from './SettingsConfirm';
import type { WebhookDelivery, WebhookEndpoint } from './WebhooksEvents';

const statusColor = { succeeded: '#1b5e20', failed: '#a61b1b', pending: '#8a3c00' } as const;

function Delivery({
  d,
  onResend,
  resending,
}: {
  d: WebhookDelivery;
  onResend: () => void;
  resending: boolean;
}) {
  const last = d.attempts[0];
  return (
    <Group
      justify="space-between"
      align="flex-start"
      wrap="wrap"
      gap="xs"
      py="xs"
      style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}
      data-testid="delivery"
    >
      <Stack gap={2} style={{ flex: '1 1 14rem', minWidth: 0 }}>
        <Group gap="xs" wrap="wrap">
          <Text fw={600}>{d.event_type}</Text>
          <Text span fw={700} fz="sm" tt="uppercase" c={statusColor[d.status]}>
            {d.status}
          </Text>
        </Group>
        <Text fz="sm" c="#495057" style={{ overflowWrap: 'anywhere' }}>
          {formatDate(d.created_at)} · {d.attempt_count} attempt(s)
          {d.last_status_code !== null ? ` · HTTP ${d.last_status_code}` : ''}
          {last ? ` · ${last.duration_ms} ms` : ''}
          {d.next_attempt_at ? ` · next try ${formatDate(d.next_attempt_at)}` : ''}
        </Text>
        {d.last_error ? (
          <Text fz="sm" c="#a61b1b" style={{ overflowWrap: 'anywhere' }}>
            {d.last_error}
          </Text>
        ) : null}
        <details>
          <summary style={{ cursor: 'pointer', fontSize: 14 }}>Payload and attempts</summary>
          <Code block style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {JSON.stringify(d.payload, null, 2)}
          </Code>
          {d.attempts.map((a) => (
            <Text key={a.attempt} fz="sm" style={{ overflowWrap: 'anywhere' }}>
              Attempt {a.attempt}, {formatDate(a.created_at)}: {a.status_code ?? 'no answer'}
              {a.error ? ` — ${a.error}` : ''}
              {a.response_body ? ` — “${a.response_body.slice(0, 200)}”` : ''}
            </Text>
          ))}
        </details>
      </Stack>
      <Button
        size="xs"
        variant="default"
        onClick={onResend}
        loading={resending}
        disabled={d.status === 'pending'}
        aria-label={`Resend ${d.event_type} ${d.id}`}
      >
        Resend
      </Button>
    </Group>
  );
}

function Deliveries({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', id],
    queryFn: () => api.get<Page<WebhookDelivery>>(`/api/webhook-endpoints/${id}/deliveries?limit=50`),
    // While something is on its way, look again soon.
    refetchInterval: (q) => (q.state.data?.data.some((d) => d.status === 'pending') ? 1500 : false),
  });
  const resend = useMutation({
    mutationFn: (deliveryId: string) => api.post(`/api/webhook-deliveries/${deliveryId}/resend`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', id] }),
  });
  return (
    <Card withBorder padding="md" component="section" aria-labelledby="deliveries">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="deliveries">
          Delivery log
        </Title>
        <Button size="xs" variant="default" onClick={() => void deliveries.refetch()}>
          Refresh
        </Button>
      </Group>
      {resend.error ? <ErrorNotice error={resend.error} title="Not resent" /> : null}
      {deliveries.isPending ? <Loader size="sm" aria-label="Loading deliveries" /> : null}
      {deliveries.error ? <ErrorNotice error={deliveries.error} /> : null}
      {deliveries.data?.data.length === 0 ? <Text>Nothing sent yet. Send a test event.</Text> : null}
      <div>
        {deliveries.data?.data.map((d) => (
          <Delivery
            key={d.id}
            d={d}
            onResend={() => resend.mutate(d.id)}
            resending={resend.isPending && resend.variables === d.id}
          />
        ))}
      </div>
    </Card>
  );
}

/** One webhook endpoint: its secret, a test event, enable/disable/delete, and its delivery log. */
export function WebhooksEndpointPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const endpoint = useQuery({
    queryKey: ['webhook-endpoint', id],
    queryFn: () => api.get<WebhookEndpoint>(`/api/webhook-endpoints/${id}`),
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['webhook-endpoint', id] }),
      queryClient.invalidateQueries({ queryKey: ['webhook-endpoints'] }),
      queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', id] }),
    ]);
  const secret = useMutation({
    mutationFn: () => api.get<{ secret: string }>(`/api/webhook-endpoints/${id}/secret`),
  });
  const test = useMutation({
    mutationFn: () => api.post<WebhookDelivery>(`/api/webhook-endpoints/${id}/test`),
    onSuccess: refresh,
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => api.patch<WebhookEndpoint>(`/api/webhook-endpoints/${id}`, { enabled }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/webhook-endpoints/${id}`),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['webhook-endpoints'] });
      void navigate('/webhooks');
    },
  });
  const e = endpoint.data;
  const error = test.error ?? toggle.error ?? remove.error ?? secret.error;
  return (
    <>
      <PageHeader
        title="Webhook endpoint"
        description={
          <Anchor component={Link} to="/webhooks">
            ← All endpoints
          </Anchor>
        }
      />
      {endpoint.isPending ? <Loader aria-label="Loading the endpoint" /> : null}
      {endpoint.error ? <ErrorNotice error={endpoint.error} /> : null}
      {e ? (
        <Stack>
          <Card withBorder padding="md">
            <Stack gap="sm">
              <EndpointSummary e={e} />
              {e.disabled_reason ? <Alert color="red">{e.disabled_reason}</Alert> : null}
              {secret.data ? (
                <Stack gap={4}>
                  <Text fw={600} fz="sm">
                    Signing secret
                  </Text>
                  <CopyValue value={secret.data.secret} label="signing secret" />
                  <Text fz="sm" c="#495057">
                    Verify the <Code>webhook-signature</Code> header with it.
                  </Text>
                </Stack>
              ) : null}
              <Group gap="sm" wrap="wrap">
                {!secret.data ? (
                  <Button variant="default" onClick={() => secret.mutate()} loading={secret.isPending}>
                    Reveal secret
                  </Button>
                ) : null}
                <Button onClick={() => test.mutate()} loading={test.isPending} disabled={!e.enabled}>
                  Send test event
                </Button>
                <Button
                  variant="default"
                  onClick={() => toggle.mutate(!e.enabled)}
                  loading={toggle.isPending}
                >
                  {e.enabled ? 'Disable' : 'Enable'}
                </Button>
                <ConfirmButton
                  label="Delete endpoint"
                  question="Its delivery log goes too."
                  confirmLabel="Yes, delete"
                  onConfirm={() => remove.mutate()}
                  loading={remove.isPending}
                />
              </Group>
              {test.data ? (
                <Alert color="green" role="status" title="Test event queued">
                  It appears in the delivery log below with the answer your endpoint gave.
                </Alert>
              ) : null}
              {error ? <ErrorNotice error={error} title="That did not work" /> : null}
            </Stack>
          </Card>
          <Deliveries id={id} />
        </Stack>
      ) : null}
    </>
  );
}

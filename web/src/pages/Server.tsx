import { Alert, Button, Card, Group, List, Loader, Select, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, type RolesChannel, type ServerChannels, type ServerWithHealth } from '../api';
import { ErrorNotice, PageHeader, formatDate } from '../ui';
import { statusBadge } from './Servers';

/** One server: status and the fix, per-role health, Refresh roles, and the roles channel. */
export function ServerPage() {
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const server = useQuery({
    queryKey: ['server', id],
    queryFn: () => api.get<ServerWithHealth>(`/api/servers/${id}`),
  });
  const refresh = useMutation({
    mutationFn: () => api.post<ServerWithHealth>(`/api/servers/${id}/refresh`),
    onSuccess: (data) => {
      qc.setQueryData(['server', id], data);
      void qc.invalidateQueries({ queryKey: ['roles', id] });
    },
  });
  if (server.isPending) return <Loader aria-label="Loading server" />;
  if (server.error) return <ErrorNotice error={server.error} />;
  const s = server.data;
  return (
    <>
      <PageHeader
        title={s.name}
        description={<>Status: {statusBadge(s.status)}</>}
        actions={
          <Button onClick={() => refresh.mutate()} loading={refresh.isPending} variant="default">
            Refresh roles
          </Button>
        }
      />
      {refresh.error ? <ErrorNotice error={refresh.error} /> : null}
      {s.pause_reason ? (
        <Alert color="orange" title="Syncs are paused" mb="md">
          {s.pause_reason} Fix it in Discord, then click Refresh roles: waiting members are synced at once.
        </Alert>
      ) : null}
      <Stack gap="lg">
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Roles Rolegate gives
          </Title>
          <Text size="sm" mb="sm">
            Discord lets a bot give only roles listed below its own highest role (Server Settings → Roles: the
            list is ordered top to bottom). Drag the Rolegate role above every role you sell.
          </Text>
          {s.health.roles.length === 0 ? (
            <Text size="sm">No entitlement gives a role on this server yet.</Text>
          ) : null}
          <List spacing="xs">
            {s.health.roles.map((r) => (
              <List.Item key={r.role_id}>
                <Text span fw={600}>
                  {r.name ?? r.role_id}
                </Text>{' '}
                {r.grantable ? (
                  <Text span c="#1b5e20">
                    — OK, the bot can give it
                  </Text>
                ) : (
                  <Text span c="#a61e1e">
                    — {r.problem?.message ?? 'the bot cannot give it'}
                  </Text>
                )}
              </List.Item>
            ))}
          </List>
          <Text size="xs" c="#495057" mt="sm">
            Checked {formatDate(s.health.checked_at)}
          </Text>
        </Card>
        <RolesChannelCard serverId={id} />
      </Stack>
    </>
  );
}

function RolesChannelCard({ serverId }: { serverId: string }) {
  const qc = useQueryClient();
  const channel = useQuery({
    queryKey: ['roles-channel', serverId],
    queryFn: () => api.get<RolesChannel>(`/api/servers/${serverId}/roles-channel`),
  });
  const channels = useQuery({
    queryKey: ['channels', serverId],
    queryFn: () => api.get<ServerChannels>(`/api/servers/${serverId}/channels`),
  });
  const [picked, setPicked] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (channelId: string) =>
      api.put<RolesChannel>(`/api/servers/${serverId}/roles-channel`, { channel_id: channelId }),
    onSuccess: (data) => qc.setQueryData(['roles-channel', serverId], data),
  });
  const publish = useMutation({
    mutationFn: () => api.post<RolesChannel>(`/api/servers/${serverId}/roles-channel/publish`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['roles-channel', serverId] }),
  });
  const options =
    channels.data?.data
      .filter((c) => c.can_hold_roles_message)
      .map((c) => ({ value: c.id, label: `#${c.name ?? c.id}` })) ?? [];
  const current = channel.data?.channel_id ?? null;
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        Roles channel
      </Title>
      <Text size="sm" mb="sm">
        Rolegate posts one message there with a Buy button per entitlement, and keeps it up to date.
      </Text>
      {channels.error ? <ErrorNotice error={channels.error} /> : null}
      <Group align="flex-end" wrap="wrap">
        <Select
          label="Channel"
          placeholder={channels.isPending ? 'Loading channels…' : 'Pick a channel'}
          data={options}
          value={picked ?? current}
          onChange={setPicked}
          style={{ flex: '1 1 14rem' }}
        />
        <Button
          onClick={() => picked && save.mutate(picked)}
          disabled={!picked || picked === current}
          loading={save.isPending}
        >
          Use this channel
        </Button>
        <Button
          variant="default"
          onClick={() => publish.mutate()}
          disabled={!current}
          loading={publish.isPending}
        >
          Publish now
        </Button>
      </Group>
      {save.error ? <ErrorNotice error={save.error} /> : null}
      {publish.error ? <ErrorNotice error={publish.error} /> : null}
      {channel.data?.problem ? (
        <Alert color="orange" mt="sm" title="The message cannot be posted">
          {channel.data.problem}
        </Alert>
      ) : null}
      <Text size="sm" mt="sm">
        {channel.data?.published_at
          ? `Published ${formatDate(channel.data.published_at)}.`
          : 'Not published yet.'}
      </Text>
      {publish.isSuccess ? (
        <Text size="sm" c="#1b5e20" role="status">
          Publish queued: the message is posted in a moment.
        </Text>
      ) : null}
    </Card>
  );
}

import { Alert, Button, Card, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, type Admin, type ApiKey, type Invitation, type SessionRow } from '../api';
import { useSession } from '../session';
import { CopyValue, ErrorNotice, PageHeader, formatDate } from '../ui';
import { ConfirmButton } from './SettingsConfirm';

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Card withBorder padding="md" component="section" aria-labelledby={id}>
      <Title order={2} size="h4" id={id} mb="sm">
        {title}
      </Title>
      <Stack gap="sm">{children}</Stack>
    </Card>
  );
}

/** One line of a list: what it is on the left, its actions on the right; wraps on a phone. */
function Row({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <Group
      justify="space-between"
      wrap="wrap"
      gap="xs"
      py="xs"
      style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}
    >
      <Stack gap={2} style={{ flex: '1 1 14rem', minWidth: 0 }}>
        {children}
      </Stack>
      {actions ? <Group gap="xs">{actions}</Group> : null}
    </Group>
  );
}

const Meta = ({ children }: { children: ReactNode }) => (
  <Text fz="sm" c="#495057" style={{ overflowWrap: 'anywhere' }}>
    {children}
  </Text>
);

function useRefresh(...keys: string[]) {
  const queryClient = useQueryClient();
  return () => Promise.all(keys.map((key) => queryClient.invalidateQueries({ queryKey: [key] })));
}

function ApiKeys() {
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => api.get<{ data: ApiKey[] }>('/api/api-keys'),
  });
  const refresh = useRefresh('api-keys');
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api.post<ApiKey>('/api/api-keys', { name }),
    onSuccess: () => {
      setName('');
      return refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/api-keys/${id}`),
    onSuccess: refresh,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Section id="api-keys" title="API keys">
      <Text>Programs use a key to call the API. A key is shown once, when it is created.</Text>
      <form onSubmit={submit}>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="Name of the new key"
            description="What it is for, e.g. “billing export”."
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            style={{ flex: '1 1 14rem' }}
          />
          <Button type="submit" loading={create.isPending}>
            Create API key
          </Button>
        </Group>
      </form>
      {create.data?.key ? (
        <Alert color="green" role="status" title={`API key “${create.data.name}” created`}>
          <Stack gap="xs">
            <Text fz="sm">Store it now: it is not shown again.</Text>
            <CopyValue value={create.data.key} label="the new API key" />
          </Stack>
        </Alert>
      ) : null}
      {create.error ? <ErrorNotice error={create.error} title="The key was not created" /> : null}
      {revoke.error ? <ErrorNotice error={revoke.error} title="The key was not revoked" /> : null}
      {keys.isPending ? <Loader aria-label="Loading API keys" size="sm" /> : null}
      {keys.error ? <ErrorNotice error={keys.error} /> : null}
      <div>
        {keys.data?.data.map((k) => (
          <Row
            key={k.id}
            actions={
              k.revoked_at ? null : (
                <ConfirmButton
                  size="xs"
                  label="Revoke"
                  ariaLabel={`Revoke API key ${k.name}`}
                  question={`Programs using “${k.name}” stop working.`}
                  confirmLabel="Yes, revoke"
                  onConfirm={() => revoke.mutate(k.id)}
                  loading={revoke.isPending && revoke.variables === k.id}
                />
              )
            }
          >
            <Text fw={600}>
              {k.name} <code>{k.prefix}…</code>
              {k.revoked_at ? (
                <Text span fw={700} fz="sm" c="#a61b1b" tt="uppercase" ml="xs">
                  revoked
                </Text>
              ) : null}
            </Text>
            <Meta>
              Created {formatDate(k.created_at)} · last used {formatDate(k.last_used_at)}
              {k.revoked_at ? ` · revoked ${formatDate(k.revoked_at)}` : ''}
            </Meta>
          </Row>
        ))}
      </div>
    </Section>
  );
}

function Admins() {
  const me = useSession().admin;
  const admins = useQuery({ queryKey: ['admins'], queryFn: () => api.get<{ data: Admin[] }>('/api/admins') });
  const invitations = useQuery({
    queryKey: ['admin-invitations'],
    queryFn: () => api.get<{ data: Invitation[] }>('/api/admin-invitations'),
  });
  const refresh = useRefresh('admins', 'admin-invitations');
  const invite = useMutation({
    mutationFn: () => api.post<Invitation>('/api/admin-invitations'),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/api/admins/${id}`),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/admin-invitations/${id}`),
    onSuccess: refresh,
  });
  const error = invite.error ?? remove.error ?? revoke.error;
  return (
    <Section id="admins" title="Admins">
      <Text>People who may use this dashboard. They sign in with Discord.</Text>
      <Group>
        <Button onClick={() => invite.mutate()} loading={invite.isPending}>
          Invite an admin
        </Button>
      </Group>
      {invite.data?.url ? (
        <Alert color="green" role="status" title="Invitation link created">
          <Stack gap="xs">
            <Text fz="sm">
              Send this link to the person. It works once, until {formatDate(invite.data.expires_at)}.
            </Text>
            <CopyValue value={invite.data.url} label="the invitation link" />
          </Stack>
        </Alert>
      ) : null}
      {error ? <ErrorNotice error={error} title="That did not work" /> : null}
      {admins.error ? <ErrorNotice error={admins.error} /> : null}
      <div>
        {admins.data?.data.map((a) => (
          <Row
            key={a.id}
            actions={
              a.id === me.id ? (
                <Text fz="sm" fw={600}>
                  You
                </Text>
              ) : (
                <ConfirmButton
                  size="xs"
                  label="Remove"
                  ariaLabel={`Remove admin ${a.username}`}
                  question={`${a.username} is signed out and can no longer sign in.`}
                  confirmLabel="Yes, remove"
                  onConfirm={() => remove.mutate(a.id)}
                />
              )
            }
          >
            <Text fw={600}>{a.username}</Text>
            <Meta>
              Discord id {a.discord_user_id} · last sign-in {formatDate(a.last_sign_in_at)}
            </Meta>
          </Row>
        ))}
      </div>
      {invitations.data?.data.length ? (
        <>
          <Title order={3} size="h5">
            Pending invitations
          </Title>
          <div>
            {invitations.data.data.map((i) => (
              <Row
                key={i.id}
                actions={
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => revoke.mutate(i.id)}
                    aria-label={`Revoke invitation ${i.id}`}
                  >
                    Revoke
                  </Button>
                }
              >
                <Text>Invitation {i.id}</Text>
                <Meta>
                  Created {formatDate(i.created_at)} · expires {formatDate(i.expires_at)}
                </Meta>
              </Row>
            ))}
          </div>
        </>
      ) : null}
    </Section>
  );
}

function Sessions() {
  const sessions = useQuery({
    queryKey: ['sessions'],
    queryFn: () => api.get<{ data: SessionRow[] }>('/api/sessions'),
  });
  const refresh = useRefresh('sessions');
  const end = useMutation({
    mutationFn: (id: string) => api.delete(`/api/sessions/${id}`),
    onSuccess: refresh,
  });
  const others = useMutation({
    mutationFn: () => api.post<{ revoked: number }>('/api/sessions/revoke-others'),
    onSuccess: refresh,
  });
  const hasOthers = (sessions.data?.data ?? []).some((s) => !s.current);
  return (
    <Section id="sessions" title="Your sessions">
      <Text>Browsers signed in as you. End one you do not recognise.</Text>
      {hasOthers ? (
        <Group>
          <Button variant="default" onClick={() => others.mutate()} loading={others.isPending}>
            Sign out everywhere else
          </Button>
        </Group>
      ) : null}
      {others.data ? (
        <Alert color="green" role="status" title="Signed out elsewhere">
          {others.data.revoked} other session(s) ended.
        </Alert>
      ) : null}
      {(end.error ?? others.error) ? <ErrorNotice error={end.error ?? others.error} /> : null}
      {sessions.error ? <ErrorNotice error={sessions.error} /> : null}
      <div>
        {sessions.data?.data.map((s) => (
          <Row
            key={s.id}
            actions={
              s.current ? (
                <Text fz="sm" fw={600}>
                  This browser
                </Text>
              ) : (
                <Button
                  size="xs"
                  color="red"
                  variant="light"
                  onClick={() => end.mutate(s.id)}
                  aria-label={`End session ${s.id}`}
                >
                  End session
                </Button>
              )
            }
          >
            <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
              {s.user_agent ?? 'Unknown browser'}
            </Text>
            <Meta>
              {s.ip ?? 'unknown address'} · signed in {formatDate(s.created_at)} · last seen{' '}
              {formatDate(s.last_seen_at)}
            </Meta>
          </Row>
        ))}
      </div>
    </Section>
  );
}

/** API keys, admins and invitations, and your own sessions. */
export function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings & admins" description="Who and what may use Rolegate." />
      <Stack>
        <ApiKeys />
        <Admins />
        <Sessions />
      </Stack>
    </>
  );
}

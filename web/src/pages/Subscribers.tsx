import { Anchor, Button, Group, Loader, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, type Entitlement, type Page, type Server } from '../api';
import { ErrorNotice, PageHeader, formatDate } from '../ui';
import { SubscriberActions } from './SubscriberActions';
import { GrantByHand } from './SubscribersGrant';
import { SUBSCRIBER_STATUSES, WHO_ACTS, buyerName, statusColor, type Subscriber } from './SubscriberTypes';

const PAGE_SIZE = 25;
const FILTERS = ['entitlement_id', 'server_id', 'status', 'q'] as const;

/** The status in words, in its colour, with who must act. */
export function StatusInWords({ s }: { s: Subscriber }) {
  return (
    <Stack gap={0}>
      <Text span fw={700} fz="sm" c={statusColor(s.status.code)}>
        {s.status.label}
      </Text>
      {s.status.who_acts ? (
        <Text span fz="xs" c="#343a40">
          {WHO_ACTS[s.status.who_acts]}
        </Text>
      ) : null}
    </Stack>
  );
}

/** The second line of a row: the Discord side, unless the first line already is. */
function discordLine(s: Subscriber): string {
  const c = s.customer;
  if (!c.discord_user_id) return 'No Discord account linked';
  if (!c.email && !c.name) return c.discord_username ? `Discord id ${c.discord_user_id}` : 'No email on file';
  return `Discord: ${c.discord_username ?? c.discord_user_id}`;
}

function SubscriberRow({ s }: { s: Subscriber }) {
  const who = buyerName(s);
  return (
    <Paper withBorder p="sm" component="li" style={{ listStyle: 'none' }}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={2} style={{ flex: '2 1 14rem', minWidth: 0 }}>
          <Anchor
            component={Link}
            to={`/subscribers/${s.id}`}
            fw={600}
            c="#2b3a9e"
            underline="always"
            style={{ overflowWrap: 'anywhere' }}
          >
            {who}
          </Anchor>
          <Text fz="sm" c="#343a40" style={{ overflowWrap: 'anywhere' }}>
            {discordLine(s)}
          </Text>
          <Text fz="sm">
            {s.entitlement.name} · {s.server.name}
          </Text>
        </Stack>
        <Stack gap={2} style={{ flex: '2 1 12rem' }}>
          <StatusInWords s={s} />
          {s.status.detail && s.status.code !== 'invitation_sent' ? (
            <Text fz="xs" c="#343a40" style={{ overflowWrap: 'anywhere' }}>
              {s.status.detail}
            </Text>
          ) : null}
          <Text fz="xs" c="#343a40">
            {s.revoked_at
              ? `Ended ${formatDate(s.revoked_at)}`
              : s.ends_at
                ? `Until ${formatDate(s.ends_at)}`
                : `Since ${formatDate(s.starts_at ?? s.created_at)}`}
          </Text>
        </Stack>
        <div style={{ flex: '0 1 auto' }}>
          <SubscriberActions s={s} />
        </div>
      </Group>
    </Paper>
  );
}

/** Every subscriber across entitlements: filters, search, pages, CSV, and the actions. */
export function SubscribersPage() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [debounced] = useDebouncedValue(search, 300);
  const [cursors, setCursors] = useState<string[]>([]);
  const [granted, setGranted] = useState<string | null>(null);
  const filter = new URLSearchParams();
  for (const key of FILTERS) {
    const v = params.get(key);
    if (v) filter.set(key, v);
  }
  const filterKey = filter.toString();
  const setFilter = (key: (typeof FILTERS)[number], value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  // Only the typed search drives this; the URL is the state of the filters.
  useEffect(() => {
    if ((params.get('q') ?? '') !== debounced.trim()) setFilter('q', debounced.trim() || null);
  }, [debounced]);
  useEffect(() => setCursors([]), [filterKey]);

  const cursor = cursors.at(-1);
  const listUrl = `/api/subscribers?${filterKey}${filterKey ? '&' : ''}limit=${PAGE_SIZE}${cursor ? `&cursor=${cursor}` : ''}`;
  const list = useQuery({
    queryKey: ['subscribers', filterKey, cursor ?? ''],
    queryFn: () => api.get<Page<Subscriber>>(listUrl),
    placeholderData: keepPreviousData,
  });
  const entitlements = useQuery({
    queryKey: ['entitlements'],
    queryFn: () => api.get<Page<Entitlement>>('/api/entitlements?limit=100'),
  });
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: () => api.get<Page<Server>>('/api/servers?limit=100'),
  });
  const rows = list.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Subscribers"
        description="Everyone who bought (or was given) access, with what happens next and who must act."
        actions={
          <>
            <GrantByHand entitlements={entitlements.data?.data ?? []} onGranted={setGranted} />
            <Button
              component="a"
              href={`/api/subscribers.csv${filterKey ? `?${filterKey}` : ''}`}
              variant="default"
            >
              Export CSV
            </Button>
          </>
        }
      />
      {granted ? (
        <Text size="sm" c="#1b5e20" role="status" mb="sm">
          Access granted.{' '}
          <Anchor component={Link} to={`/subscribers/${granted}`} c="#2b3a9e" underline="always">
            Open the subscriber
          </Anchor>
        </Text>
      ) : null}
      <Group align="flex-end" wrap="wrap" gap="sm" mb="md" role="search" aria-label="Filter subscribers">
        <TextInput
          label="Search"
          placeholder="Email, Discord name or id"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          style={{ flex: '2 1 14rem' }}
        />
        <Select
          label="Status"
          placeholder="All"
          data={SUBSCRIBER_STATUSES.map((s) => ({ value: s.value, label: s.label }))}
          value={params.get('status')}
          onChange={(v) => setFilter('status', v)}
          clearable
          style={{ flex: '1 1 12rem' }}
        />
        <Select
          label="Entitlement"
          placeholder="All"
          data={(entitlements.data?.data ?? []).map((e) => ({ value: e.id, label: e.name }))}
          value={params.get('entitlement_id')}
          onChange={(v) => setFilter('entitlement_id', v)}
          clearable
          style={{ flex: '1 1 10rem' }}
        />
        <Select
          label="Server"
          placeholder="All"
          data={(servers.data?.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
          value={params.get('server_id')}
          onChange={(v) => setFilter('server_id', v)}
          clearable
          style={{ flex: '1 1 10rem' }}
        />
      </Group>
      {list.isPending ? <Loader aria-label="Loading subscribers" /> : null}
      {list.error ? <ErrorNotice error={list.error} /> : null}
      {list.data && rows.length === 0 ? (
        <Text>
          {filterKey
            ? 'Nobody matches these filters.'
            : 'No subscriber yet. Share an offer link (Entitlements) or grant access by hand.'}
        </Text>
      ) : null}
      <Stack component="ul" gap="xs" p={0} m={0} aria-label="Subscribers">
        {rows.map((s) => (
          <SubscriberRow key={s.id} s={s} />
        ))}
      </Stack>
      {cursors.length > 0 || list.data?.next_cursor ? (
        <Group justify="space-between" mt="md">
          <Button
            variant="default"
            disabled={cursors.length === 0}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Previous page
          </Button>
          <Text size="sm">Page {cursors.length + 1}</Text>
          <Button
            variant="default"
            disabled={!list.data?.next_cursor}
            onClick={() => {
              const next = list.data?.next_cursor;
              if (next) setCursors((c) => [...c, next]);
            }}
          >
            Next page
          </Button>
        </Group>
      ) : null}
    </>
  );
}

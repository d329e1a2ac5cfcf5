import { Anchor, Card, Group, List, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api';
import { ErrorNotice, PageHeader, formatDate } from '../ui';
import { SubscriberActions } from './SubscriberActions';
import { StatusInWords } from './Subscribers';
import { buyerName, type SubscriberDetail, type TimelineEntry } from './SubscriberTypes';

const OUTCOME: Record<TimelineEntry['outcome'], { word: string; color: string }> = {
  ok: { word: 'Done', color: '#1b5e20' },
  failed: { word: 'Failed', color: '#a61e1e' },
  skipped: { word: 'Skipped', color: '#343a40' },
  info: { word: '', color: '#343a40' },
};

/** Who or what started an entry, when a merchant can use it (internal causes are left out). */
function causeInWords(cause: string | null): string {
  if (!cause) return '';
  if (cause.startsWith('person:')) return ' · by an admin';
  if (cause.startsWith('interaction:')) return ' · from Discord';
  if (cause.startsWith('stripe') || cause.includes('evt_')) return ' · from Stripe';
  if (cause.startsWith('reconcile')) return ' · by the periodic check';
  if (cause.startsWith('gateway')) return ' · on a Discord event';
  return '';
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text fz="xs" c="#343a40" fw={600} tt="uppercase">
        {label}
      </Text>
      <Text fz="sm" style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

/** The grant's own fields the subscriber view leaves out (`GET /api/grants/:id`). */
interface GrantBilling {
  revoke_billing: 'cancel_now' | 'cancel_at_period_end' | 'keep_billing' | null;
  revoke_billing_status: 'pending' | 'done' | 'failed' | null;
  revoke_billing_error: string | null;
  stripe_cancel_at: string | null;
  note: string | null;
  claim_code: string | null;
}

const BILLING_WORDS: Record<NonNullable<GrantBilling['revoke_billing']>, string> = {
  cancel_now: 'Subscription canceled at once',
  cancel_at_period_end: 'Subscription set to end with the paid period',
  keep_billing: 'Billing kept: Stripe still charges',
};

const BILLING_STATUS: Record<NonNullable<GrantBilling['revoke_billing_status']>, string> = {
  pending: 'in progress',
  done: 'done',
  failed: 'failed: change it by hand in Stripe',
};

/** What happened to the Stripe billing when the grant was revoked, and a scheduled cancel. */
function BillingAfterRevoke({ g }: { g: GrantBilling | undefined }) {
  if (!g?.revoke_billing && !g?.stripe_cancel_at) return null;
  return (
    <Stack gap={2} mt="sm">
      {g.revoke_billing ? (
        <Text fz="sm" c={g.revoke_billing_status === 'failed' ? '#a61e1e' : '#212529'}>
          On revoke: {BILLING_WORDS[g.revoke_billing]}
          {g.revoke_billing_status ? ` — ${BILLING_STATUS[g.revoke_billing_status]}` : ''}
          {g.revoke_billing_error ? ` (${g.revoke_billing_error})` : ''}
        </Text>
      ) : null}
      {g.stripe_cancel_at ? (
        <Text fz="sm">The Stripe subscription ends {formatDate(g.stripe_cancel_at)}.</Text>
      ) : null}
    </Stack>
  );
}

/** One subscriber: status and who acts, the facts, Stripe links, actions, and the timeline. */
export function SubscriberPage() {
  const { id = '' } = useParams();
  const detail = useQuery({
    queryKey: ['subscriber', id],
    queryFn: () => api.get<SubscriberDetail>(`/api/subscribers/${id}`),
  });
  const grant = useQuery({
    queryKey: ['subscriber', id, 'grant'],
    queryFn: () => api.get<GrantBilling>(`/api/grants/${id}`),
  });
  if (detail.isPending) return <Loader aria-label="Loading subscriber" />;
  if (detail.error) return <ErrorNotice error={detail.error} />;
  const s = detail.data;
  const links = s.stripe_links;
  return (
    <>
      <Anchor component={Link} to="/subscribers" fz="sm" c="#2b3a9e">
        ← All subscribers
      </Anchor>
      <PageHeader title={buyerName(s)} description={`${s.entitlement.name} in ${s.server.name}`} />
      <Stack gap="lg">
        <Card withBorder>
          <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
            <Stack gap={4} style={{ flex: '1 1 16rem' }}>
              <StatusInWords s={s} />
              {s.status.detail ? <Text fz="sm">{s.status.detail}</Text> : null}
              {s.last_error && s.grant_status === 'failed' ? (
                <Text fz="sm" c="#a61e1e">
                  Error {s.last_error.code}
                  {s.last_error.message ? `: ${s.last_error.message}` : ''}
                </Text>
              ) : null}
            </Stack>
            <SubscriberActions s={s} size="sm" />
          </Group>
        </Card>
        <Card withBorder>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
            <Fact label="Email">{s.customer.email ?? '—'}</Fact>
            <Fact label="Discord">
              {s.customer.discord_user_id
                ? `${s.customer.discord_username ?? 'linked'} (${s.customer.discord_user_id})`
                : 'Not linked'}
            </Fact>
            <Fact label="Source">{s.source}</Fact>
            <Fact label="Started">{formatDate(s.starts_at ?? s.created_at)}</Fact>
            <Fact label="Access ends">
              {s.ends_at
                ? formatDate(s.ends_at)
                : s.stripe_subscription_id && s.active
                  ? 'Renews with the Stripe subscription'
                  : 'No end date'}
            </Fact>
            {s.grace_ends_at ? <Fact label="Grace until">{formatDate(s.grace_ends_at)}</Fact> : null}
            <Fact label="Delivered">{formatDate(s.delivered_at)}</Fact>
            {s.revoked_at ? <Fact label="Revoked">{formatDate(s.revoked_at)}</Fact> : null}
            {grant.data?.claim_code && !s.customer.discord_user_id && s.grant_status !== 'revoked' ? (
              <Fact label="Claim code (/claim in Discord)">{grant.data.claim_code}</Fact>
            ) : null}
            {grant.data?.note ? <Fact label="Note">{grant.data.note}</Fact> : null}
          </SimpleGrid>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            In Stripe
          </Title>
          {!links.customer && !links.subscription && links.payments.length === 0 ? (
            <Text fz="sm">Nothing in Stripe: this access was given by hand.</Text>
          ) : (
            <List spacing={4} fz="sm">
              {links.customer ? (
                <List.Item>
                  <Anchor href={links.customer} target="_blank" rel="noreferrer" c="#2b3a9e">
                    Customer {s.stripe_customer_id}
                  </Anchor>
                </List.Item>
              ) : null}
              {links.subscription ? (
                <List.Item>
                  <Anchor href={links.subscription} target="_blank" rel="noreferrer" c="#2b3a9e">
                    Subscription {s.stripe_subscription_id}
                  </Anchor>
                </List.Item>
              ) : null}
              {links.payments.map((p) => (
                <List.Item key={p.id}>
                  <Anchor href={p.url} target="_blank" rel="noreferrer" c="#2b3a9e">
                    Payment {p.id}
                  </Anchor>
                </List.Item>
              ))}
            </List>
          )}
          <BillingAfterRevoke g={grant.data} />
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Timeline
          </Title>
          <Stack component="ol" gap="xs" p={0} m={0} style={{ listStyle: 'none' }}>
            {s.timeline.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <Text fz="xs" c="#343a40">
                  {formatDate(e.at)}
                  {causeInWords(e.cause)}
                </Text>
                <Text fz="sm" style={{ overflowWrap: 'anywhere' }}>
                  {OUTCOME[e.outcome].word ? (
                    <Text span fw={700} fz="sm" c={OUTCOME[e.outcome].color}>
                      {OUTCOME[e.outcome].word}:{' '}
                    </Text>
                  ) : null}
                  {e.text}
                  {e.error ? ` (${e.error.code}${e.error.owner ? `, ${e.error.owner} must act` : ''})` : ''}
                </Text>
              </li>
            ))}
          </Stack>
        </Card>
      </Stack>
    </>
  );
}

import { Button, Group, Modal, NumberInput, Radio, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api } from '../api';
import { ErrorNotice, formatDate } from '../ui';
import { buyerName, type Subscriber } from './SubscriberTypes';

type Action = 'invite' | 'retry' | 'extend' | 'revoke';

/** Which actions make sense for a subscriber now (the API refuses the others with a reason). */
export function availableActions(s: Subscriber): Action[] {
  if (s.grant_status === 'revoked') return [];
  const out: Action[] = [];
  if (s.customer.email && !s.customer.discord_user_id) out.push('invite');
  if ((s.grant_status === 'failed' || s.grant_status === 'pending') && s.active && s.customer.discord_user_id)
    out.push('retry');
  if (s.ends_at) out.push('extend');
  out.push('revoke');
  return out;
}

const BILLING = [
  {
    value: 'cancel_now',
    label: 'Cancel the subscription now',
    description: 'No further charge, no refund (refund in Stripe if you want to).',
  },
  {
    value: 'cancel_at_period_end',
    label: 'Cancel at the end of the paid period',
    description: 'No further charge; the Stripe subscription runs out.',
  },
  {
    value: 'keep_billing',
    label: 'Keep billing',
    description: 'Stripe is not touched and keeps charging.',
  },
];

/**
 * The buttons for one subscriber, each behind a confirmation dialog: send the invitation (again),
 * retry, extend, revoke with the billing choice. Every one is a documented `/api/grants/:id/…` route.
 */
export function SubscriberActions({ s, size = 'xs' }: { s: Subscriber; size?: 'xs' | 'sm' }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState<Action | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [days, setDays] = useState<number | string>(30);
  const [reason, setReason] = useState('');
  const [billing, setBilling] = useState('cancel_now');
  const who = buyerName(s);

  const act = useMutation({
    mutationFn: (a: Action) => {
      const base = `/api/grants/${s.id}`;
      if (a === 'invite') return api.post(`${base}/resend-invitation`);
      if (a === 'retry') return api.post(`${base}/retry`);
      if (a === 'extend') return api.post(`${base}/extend`, { days: Number(days) });
      return api.post(`${base}/revoke`, {
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(s.stripe_subscription_id ? { billing } : {}),
      });
    },
    onSuccess: (_data, a) => {
      setOpen(null);
      setDone(
        {
          invite: `Invitation queued for ${s.customer.email ?? who}.`,
          retry: 'Delivery retried: the roles are on their way.',
          extend: `Access of ${who} extended by ${days} days.`,
          revoke: `Access of ${who} revoked.`,
        }[a],
      );
      void qc.invalidateQueries({ queryKey: ['subscribers'] });
      void qc.invalidateQueries({ queryKey: ['subscriber', s.id] });
    },
  });
  const start = (a: Action) => {
    act.reset();
    setDone(null);
    setOpen(a);
  };
  const actions = availableActions(s);
  // Each button's name starts with its visible words (axe: label-content-name-mismatch), then says whom.
  const inviteLabel = s.status.code === 'not_invited' ? 'Send invitation' : 'Send invitation again';
  const dialog = (a: Action, title: string, body: ReactNode, confirm: string, danger = false) => (
    <Modal
      opened={open === a}
      onClose={() => setOpen(null)}
      title={title}
      centered
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack>
        {body}
        {act.error ? <ErrorNotice error={act.error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setOpen(null)}>
            Cancel
          </Button>
          <Button
            {...(danger ? { color: 'red.9' } : {})}
            loading={act.isPending}
            onClick={() => act.mutate(a)}
          >
            {confirm}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );

  return (
    <>
      <Group gap="xs" wrap="wrap">
        {actions.includes('invite') ? (
          <Button size={size} onClick={() => start('invite')} aria-label={`${inviteLabel} to ${who}`}>
            {inviteLabel}
          </Button>
        ) : null}
        {actions.includes('retry') ? (
          <Button size={size} onClick={() => start('retry')} aria-label={`Retry for ${who}`}>
            Retry
          </Button>
        ) : null}
        {actions.includes('extend') ? (
          <Button size={size} variant="default" onClick={() => start('extend')} aria-label={`Extend ${who}`}>
            Extend
          </Button>
        ) : null}
        {actions.includes('revoke') ? (
          <Button
            size={size}
            variant="default"
            c="#a61e1e"
            onClick={() => start('revoke')}
            aria-label={`Revoke ${who}`}
          >
            Revoke
          </Button>
        ) : null}
      </Group>
      {done ? (
        <Text size="sm" c="#1b5e20" role="status" mt={4}>
          {done}
        </Text>
      ) : null}
      {dialog(
        'invite',
        'Send the invitation',
        <Text size="sm">
          Rolegate emails {s.customer.email} the Connect Discord link and a claim code for{' '}
          {s.entitlement.name}.
        </Text>,
        'Send invitation',
      )}
      {dialog(
        'retry',
        'Retry delivery',
        <Text size="sm">
          Rolegate tries to give {who} the roles of {s.entitlement.name} in {s.server.name} now.
          {s.status.detail ? ` Last error: ${s.status.detail}` : ''}
        </Text>,
        'Retry now',
      )}
      {dialog(
        'extend',
        'Extend access',
        <>
          <Text size="sm">
            {who}’s access to {s.entitlement.name} ends {formatDate(s.ends_at)}. Add days to that end (or to
            today, if it has passed).
          </Text>
          <NumberInput
            label="Days to add"
            min={1}
            max={36500}
            value={days}
            onChange={setDays}
            data-autofocus
          />
        </>,
        'Extend',
      )}
      {dialog(
        'revoke',
        'Revoke access',
        <>
          <Text size="sm">
            {who} loses the roles of {s.entitlement.name} in {s.server.name} for good. This cannot be undone:
            to give access again, grant it by hand.
          </Text>
          <TextInput
            label="Reason (optional)"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            maxLength={500}
            data-autofocus
          />
          {s.stripe_subscription_id ? (
            <Radio.Group label="Stripe billing" value={billing} onChange={setBilling}>
              <Stack gap="xs" mt="xs">
                {BILLING.map((b) => (
                  <Radio key={b.value} value={b.value} label={b.label} description={b.description} />
                ))}
              </Stack>
            </Radio.Group>
          ) : null}
        </>,
        'Revoke access',
        true,
      )}
    </>
  );
}

import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api } from '../api';
import { CopyValue, ErrorNotice, PageHeader, formatDate } from '../ui';

/** `GET /api/setup` (src/http/routes/setup.ts). */
interface SetupState {
  public_url: { url: string; https: boolean; reachable: boolean; problem: string | null };
  discord: {
    configured: boolean;
    bot_ok: boolean;
    problem: string | null;
    application_id: string | null;
    interactions_endpoint_url: string;
    redirect_uris: string[];
    bot_invite_url: string | null;
  };
  stripe: {
    configured: boolean;
    mode: 'test' | 'live' | null;
    webhook: {
      state: 'not_configured' | 'created' | 'needs_update' | 'deleted' | 'secret_configured' | 'missing';
      url: string;
      events: string[];
      endpoint_id: string | null;
      problem: string | null;
    };
  };
  smtp: { configured: boolean; from: string; last_test: { to: string; sent_at: string } | null };
}

type StepStatus = 'done' | 'todo' | 'problem';

function StatusText({ status }: { status: StepStatus }) {
  const [label, color] =
    status === 'done'
      ? ['Done', '#1b5e20']
      : status === 'problem'
        ? ['Needs attention', '#a61b1b']
        : ['To do', '#8a3c00'];
  return (
    <Text span fw={700} fz="sm" c={color} tt="uppercase">
      {label}
    </Text>
  );
}

function Step({
  n,
  title,
  status,
  children,
}: {
  n: number;
  title: string;
  status: StepStatus;
  children: ReactNode;
}) {
  return (
    <Card withBorder padding="md" component="section" aria-labelledby={`step-${n}`}>
      <Group justify="space-between" mb="xs" wrap="wrap" gap="xs">
        <Title order={2} size="h4" id={`step-${n}`}>
          {n}. {title}
        </Title>
        <StatusText status={status} />
      </Group>
      <Stack gap="sm">{children}</Stack>
    </Card>
  );
}

function Field({ label, value, hint }: { label: string; value: string; hint?: ReactNode }) {
  return (
    <Stack gap={4}>
      <Text fw={600} fz="sm">
        {label}
      </Text>
      {hint ? (
        <Text fz="sm" c="#495057">
          {hint}
        </Text>
      ) : null}
      <CopyValue value={value} label={label} />
    </Stack>
  );
}

function PublicUrlStep({ s }: { s: SetupState['public_url'] }) {
  return (
    <Step
      n={1}
      title="Public URL"
      status={s.reachable && s.https ? 'done' : s.reachable ? 'todo' : 'problem'}
    >
      <Text>
        Discord, Stripe and buyers reach Rolegate here. It comes from <code>PUBLIC_URL</code>.
      </Text>
      <CopyValue value={s.url} label="public URL" />
      <Text fz="sm">
        {s.reachable ? 'This Rolegate answered at this URL.' : 'This Rolegate did not answer at this URL.'}
      </Text>
      {s.problem ? <Text c={s.reachable ? '#8a3c00' : '#a61b1b'}>{s.problem}</Text> : null}
    </Step>
  );
}

function DiscordStep({ s }: { s: SetupState['discord'] }) {
  return (
    <Step
      n={2}
      title="Discord application"
      status={s.configured && s.bot_ok ? 'done' : s.problem ? 'problem' : 'todo'}
    >
      <Text>
        In the{' '}
        <Anchor href="https://discord.com/developers/applications" target="_blank" rel="noreferrer">
          Discord Developer Portal
        </Anchor>
        , open your application and paste these values.
      </Text>
      {s.problem ? <Text c="#a61b1b">{s.problem}</Text> : null}
      {s.bot_ok ? <Text fz="sm">Discord accepted the bot token.</Text> : null}
      <Field
        label="Interactions endpoint URL"
        value={s.interactions_endpoint_url}
        hint="General Information → Interactions Endpoint URL. Discord checks it when you save."
      />
      {s.redirect_uris.map((uri, i) => (
        <Field
          key={uri}
          label={`Redirect URI ${i + 1}`}
          value={uri}
          hint={i === 0 ? 'OAuth2 → Redirects: add each of the three.' : undefined}
        />
      ))}
      {s.bot_invite_url ? (
        <Field
          label="Bot invite URL"
          value={s.bot_invite_url}
          hint="Installs the bot with the permissions Rolegate needs. Easier: Servers → Add server."
        />
      ) : null}
      <Text fz="sm">
        Slash commands register by themselves when a server is connected.{' '}
        <Anchor component={Link} to="/servers">
          Go to Servers
        </Anchor>
      </Text>
    </Step>
  );
}

function StripeStep({ s }: { s: SetupState['stripe'] }) {
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () => api.post<{ created: boolean }>('/api/setup/stripe-webhook'),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['setup'] }),
  });
  const w = s.webhook;
  const status: StepStatus =
    w.state === 'created' || w.state === 'secret_configured' ? 'done' : w.problem ? 'problem' : 'todo';
  return (
    <Step n={3} title="Stripe webhook" status={status}>
      {!s.configured ? (
        <Text c="#a61b1b">Set STRIPE_SECRET_KEY (a restricted key needs “Webhook Endpoints: write”).</Text>
      ) : (
        <Text>
          Stripe {s.mode} mode. Rolegate creates its own webhook endpoint through Stripe’s API, with the
          events it needs, and keeps its signing secret encrypted.
        </Text>
      )}
      {w.state === 'created' ? (
        <Text>
          Endpoint <code>{w.endpoint_id}</code> is in place.
        </Text>
      ) : null}
      {w.state === 'secret_configured' ? (
        <Text>STRIPE_WEBHOOK_SECRET is set: events from the endpoint you made by hand are accepted.</Text>
      ) : null}
      {w.problem && s.configured ? <Text c="#a61b1b">{w.problem}</Text> : null}
      {s.configured && w.state !== 'created' ? (
        <Group>
          <Button onClick={() => create.mutate()} loading={create.isPending}>
            Create the Stripe webhook
          </Button>
        </Group>
      ) : null}
      {create.data ? (
        <Alert
          color="green"
          role="status"
          title={create.data.created ? 'Webhook created' : 'Already in place'}
        >
          Stripe now sends Rolegate’s events to {w.url}.
        </Alert>
      ) : null}
      {create.error ? <ErrorNotice error={create.error} title="Could not create the webhook" /> : null}
      <Field
        label="Webhook URL"
        value={w.url}
        hint="If you prefer to add it by hand in Stripe: this URL, these events, then set STRIPE_WEBHOOK_SECRET."
      />
      <Field label="Events" value={w.events.join(', ')} />
    </Step>
  );
}

function MailStep({ s }: { s: SetupState['smtp'] }) {
  const queryClient = useQueryClient();
  const [to, setTo] = useState('');
  const send = useMutation({
    mutationFn: () => api.post<{ to: string; sent_at: string }>('/api/setup/test-mail', { to }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['setup'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send.mutate();
  };
  return (
    <Step
      n={4}
      title="Email (SMTP)"
      status={s.configured && s.last_test ? 'done' : s.configured ? 'todo' : 'problem'}
    >
      <Text>
        Buyers get their links by email.{' '}
        {s.configured ? `Mail goes out from ${s.from}.` : 'Set SMTP_URL and MAIL_FROM.'}
      </Text>
      {s.last_test ? (
        <Text fz="sm">
          Last test mail: to {s.last_test.to}, {formatDate(s.last_test.sent_at)}.
        </Text>
      ) : null}
      <form onSubmit={submit}>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="Send a test mail to"
            type="email"
            required
            value={to}
            onChange={(e) => setTo(e.currentTarget.value)}
            style={{ flex: '1 1 14rem' }}
          />
          <Button type="submit" loading={send.isPending} disabled={!s.configured}>
            Send test mail
          </Button>
        </Group>
      </form>
      {send.data ? (
        <Alert color="green" role="status" title="Test mail sent">
          The SMTP server accepted the mail to {send.data.to}. Check that inbox.
        </Alert>
      ) : null}
      {send.error ? <ErrorNotice error={send.error} title="The test mail was not sent" /> : null}
    </Step>
  );
}

/** The setup checklist: every step checked, with the exact values to paste (decision 0025). */
export function SetupPage() {
  const setup = useQuery({ queryKey: ['setup'], queryFn: () => api.get<SetupState>('/api/setup') });
  return (
    <>
      <PageHeader
        title="Setup"
        description="Everything Rolegate needs to go live, checked now. Copy each value into the place named."
      />
      {setup.isPending ? <Loader aria-label="Checking the setup" /> : null}
      {setup.error ? <ErrorNotice error={setup.error} /> : null}
      {setup.data ? (
        <Stack>
          <PublicUrlStep s={setup.data.public_url} />
          <DiscordStep s={setup.data.discord} />
          <StripeStep s={setup.data.stripe} />
          <MailStep s={setup.data.smtp} />
          <Text size="sm" c="#495057">
            Then connect a server, create an entitlement and publish the roles channel.
          </Text>
        </Stack>
      ) : null}
    </>
  );
}

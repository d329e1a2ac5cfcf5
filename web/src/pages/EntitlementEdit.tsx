import {
  Alert,
  Button,
  Card,
  Group,
  Loader,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, type Entitlement, type Page, type Server, type ServerRoles } from '../api';
import { CopyValue, ErrorNotice, PageHeader } from '../ui';
import { EMPTY, fromEntitlement, toInput, type Form } from './entitlement-form';

/** Create or edit an entitlement: server and roles picked from Discord, each role grantable or not with why. */
export function EntitlementEditPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const editing = id !== undefined && id !== 'new';
  const existing = useQuery({
    queryKey: ['entitlement', id],
    queryFn: () => api.get<Entitlement>(`/api/entitlements/${id}`),
    enabled: editing,
  });
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: () => api.get<Page<Server>>('/api/servers?limit=100'),
  });
  const [form, setForm] = useState<Form>(EMPTY);
  useEffect(() => {
    if (existing.data) setForm(fromEntitlement(existing.data));
  }, [existing.data]);
  const roles = useQuery({
    queryKey: ['roles', form.server_id],
    queryFn: () => api.get<ServerRoles>(`/api/servers/${form.server_id}/roles`),
    enabled: form.server_id !== null,
  });
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const save = useMutation({
    mutationFn: () => {
      const input = toInput(form);
      return editing
        ? api.patch<Entitlement>(`/api/entitlements/${id}`, input)
        : api.post<Entitlement>('/api/entitlements', { ...input, server_id: form.server_id });
    },
    onSuccess: (e) => {
      void qc.invalidateQueries({ queryKey: ['entitlements'] });
      qc.setQueryData(['entitlement', e.id], e);
      void navigate('/entitlements');
    },
  });
  const archive = useMutation({
    mutationFn: () => api.post<Entitlement>(`/api/entitlements/${id}/archive`),
    onSuccess: (e) => {
      void qc.invalidateQueries({ queryKey: ['entitlements'] });
      qc.setQueryData(['entitlement', e.id], e);
      void navigate('/entitlements');
    },
  });
  const restore = useMutation({
    mutationFn: () => api.post<Entitlement>(`/api/entitlements/${id}/restore`),
    onSuccess: (e) => {
      void qc.invalidateQueries({ queryKey: ['entitlements'] });
      qc.setQueryData(['entitlement', e.id], e);
    },
  });
  if (editing && existing.isPending) return <Loader aria-label="Loading entitlement" />;
  if (existing.error) return <ErrorNotice error={existing.error} />;

  const roleOptions =
    roles.data?.data
      .filter((r) => r.name !== '@everyone')
      .map((r) => ({
        value: r.id,
        label: r.grantable ? r.name : `${r.name} — cannot be given: ${r.problem?.message ?? 'not grantable'}`,
        disabled: !r.grantable && !form.role_ids.includes(r.id),
      })) ?? [];
  const blocked = roles.data?.data.filter((r) => form.role_ids.includes(r.id) && !r.grantable) ?? [];
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <PageHeader title={editing ? `Edit ${existing.data?.name ?? ''}` : 'New entitlement'} />
      <Stack gap="md" maw={720}>
        {editing && existing.data?.archived_at ? (
          <Alert color="gray" title="Archived: not for sale">
            Buyers cannot buy it and the roles channel does not show it; people who hold it keep their access.
            Restore it to sell it again.
          </Alert>
        ) : null}
        <Card withBorder>
          <Stack>
            <Select
              label="Server"
              required
              disabled={editing}
              placeholder="Pick a connected server"
              data={servers.data?.data.map((s) => ({ value: s.id, label: s.name })) ?? []}
              value={form.server_id}
              onChange={(v) => setForm((f) => ({ ...f, server_id: v, role_ids: [] }))}
            />
            <TextInput
              label="Name"
              required
              maxLength={100}
              value={form.name}
              onChange={(e) => set('name', e.currentTarget.value)}
            />
            <Textarea
              label="Description"
              maxLength={1000}
              value={form.description}
              onChange={(e) => set('description', e.currentTarget.value)}
            />
            <MultiSelect
              label="Roles to give"
              description="None = membership of the server only. Roles the bot cannot give are marked with why."
              placeholder={
                form.server_id ? (roles.isPending ? 'Loading roles…' : 'Pick roles') : 'Pick a server first'
              }
              data={roleOptions}
              value={form.role_ids}
              onChange={(v) => set('role_ids', v)}
              searchable
            />
            {roles.error ? <ErrorNotice error={roles.error} /> : null}
            {roles.data ? (
              <Alert color={blocked.length ? 'red' : 'blue'} title="Put the bot's role on top">
                Discord lets the bot give only roles below its highest role
                {roles.data.bot.top_role_name ? ` (${roles.data.bot.top_role_name})` : ''}. In Server Settings
                → Roles, drag it above every role you sell.
                {blocked.length ? ` Fix first: ${blocked.map((r) => r.name).join(', ')}.` : ''}
              </Alert>
            ) : null}
          </Stack>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            Price and access
          </Title>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <Select
              label="Price"
              data={[
                { value: 'recurring', label: 'Recurring' },
                { value: 'one_time', label: 'One-time' },
                { value: 'none', label: 'No price (grant by hand)' },
              ]}
              value={form.price_kind}
              onChange={(v) => set('price_kind', (v ?? 'none') as Form['price_kind'])}
              allowDeselect={false}
            />
            <NumberInput
              label="Amount"
              min={0.01}
              decimalScale={2}
              value={form.amount}
              onChange={(v) => set('amount', Number(v))}
              disabled={form.price_kind === 'none'}
            />
            <TextInput
              label="Currency"
              maxLength={3}
              value={form.currency}
              onChange={(e) => set('currency', e.currentTarget.value)}
            />
            <Select
              label="Every"
              data={['day', 'week', 'month', 'year']}
              value={form.interval}
              onChange={(v) => set('interval', v ?? 'month')}
              disabled={form.price_kind !== 'recurring'}
              allowDeselect={false}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} mt="sm">
            <Select
              label="Access lasts"
              data={[
                { value: 'subscription', label: 'As long as the subscription' },
                { value: 'days', label: 'A number of days' },
                { value: 'lifetime', label: 'For life' },
              ]}
              value={form.access_kind}
              onChange={(v) => set('access_kind', v ?? 'subscription')}
              allowDeselect={false}
            />
            <NumberInput
              label="Days"
              min={1}
              value={form.days}
              onChange={(v) => set('days', Number(v))}
              disabled={form.access_kind !== 'days'}
            />
            <NumberInput
              label="Trial days"
              min={0}
              max={730}
              value={form.trial_days}
              onChange={(v) => set('trial_days', Number(v))}
            />
            <TextInput
              type="datetime-local"
              label="Sale ends"
              description="Optional: after this time it is no longer sold; holders keep their access."
              value={form.sale_ends_at}
              onChange={(e) => set('sale_ends_at', e.currentTarget.value)}
            />
          </SimpleGrid>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            When access ends
          </Title>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <Select
              label="Then"
              data={[
                { value: 'remove_roles', label: 'Remove the roles' },
                { value: 'kick', label: 'Kick from the server' },
                { value: 'keep', label: 'Keep the roles' },
                { value: 'swap', label: 'Swap to a fallback role' },
              ]}
              value={form.revoke_action}
              onChange={(v) => set('revoke_action', v ?? 'remove_roles')}
              allowDeselect={false}
            />
            <Select
              label="Fallback role"
              data={roleOptions.filter((r) => !r.disabled).map(({ value, label }) => ({ value, label }))}
              value={form.fallback_role_id}
              onChange={(v) => set('fallback_role_id', v)}
              disabled={form.revoke_action !== 'swap'}
            />
            <NumberInput
              label="Grace days (past due)"
              min={0}
              max={60}
              value={form.grace_days}
              onChange={(v) => set('grace_days', Number(v))}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} mt="sm">
            <Select
              label="Partial refund"
              data={[
                { value: 'keep', label: 'Keep access' },
                { value: 'revoke', label: 'Revoke access' },
              ]}
              value={form.partial_refund_policy}
              onChange={(v) => set('partial_refund_policy', v ?? 'keep')}
              allowDeselect={false}
            />
            <Select
              label="Dispute"
              data={[
                { value: 'revoke', label: 'Revoke access' },
                { value: 'suspend', label: 'Suspend until decided' },
              ]}
              value={form.dispute_policy}
              onChange={(v) => set('dispute_policy', v ?? 'revoke')}
              allowDeselect={false}
            />
          </SimpleGrid>
          <Switch
            mt="md"
            label="Enforce roles: remove these roles from members who did not buy them"
            checked={form.enforce_roles}
            onChange={(e) => set('enforce_roles', e.currentTarget.checked)}
          />
        </Card>
        {save.error ? <ErrorNotice error={save.error} title="Not saved" /> : null}
        {editing && existing.data ? (
          <Card withBorder>
            <Title order={2} size="h4" mb="xs">
              Offer link
            </Title>
            <CopyValue value={`${window.location.origin}/offers/${existing.data.id}`} label="offer link" />
          </Card>
        ) : null}
        <Group>
          <Button type="submit" loading={save.isPending}>
            {editing ? 'Save' : 'Create entitlement'}
          </Button>
          {editing && !existing.data?.archived_at ? (
            <Button
              variant="default"
              color="red"
              onClick={() => archive.mutate()}
              loading={archive.isPending}
            >
              Archive (stop selling)
            </Button>
          ) : null}
          {editing && existing.data?.archived_at ? (
            <Button variant="default" onClick={() => restore.mutate()} loading={restore.isPending}>
              Restore (sell again)
            </Button>
          ) : null}
        </Group>
        {archive.error ? <ErrorNotice error={archive.error} /> : null}
        {restore.error ? <ErrorNotice error={restore.error} /> : null}
      </Stack>
    </form>
  );
}

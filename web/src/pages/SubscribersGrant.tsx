import { Button, Group, Modal, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Entitlement } from '../api';
import { ErrorNotice } from '../ui';

/** "Grant by hand": access without a payment (manual or comp), by email and/or Discord user id. */
export function GrantByHand({
  entitlements,
  onGranted,
}: {
  entitlements: Entitlement[];
  onGranted: (grantId: string) => void;
}) {
  const qc = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [entitlementId, setEntitlementId] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [discordId, setDiscordId] = useState('');
  const [days, setDays] = useState<number | string>('');
  const [source, setSource] = useState<string | null>('comp');
  const [note, setNote] = useState('');
  const grant = useMutation({
    mutationFn: () =>
      api.post<{ id: string }>('/api/grants', {
        entitlement_id: entitlementId,
        ...(email.trim() ? { email: email.trim() } : {}),
        ...(discordId.trim() ? { discord_user_id: discordId.trim() } : {}),
        ...(days === '' ? {} : { days: Number(days) }),
        ...(note.trim() ? { note: note.trim() } : {}),
        source: source ?? 'comp',
      }),
    onSuccess: (created) => {
      setOpened(false);
      onGranted(created.id);
      setEmail('');
      setDiscordId('');
      setNote('');
      void qc.invalidateQueries({ queryKey: ['subscribers'] });
    },
  });
  const options = entitlements.filter((e) => !e.archived_at).map((e) => ({ value: e.id, label: e.name }));
  return (
    <>
      <Button
        variant="default"
        onClick={() => {
          grant.reset();
          setOpened(true);
        }}
      >
        Grant by hand
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title="Grant access by hand"
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <Stack>
          <Text size="sm">
            Gives access without a payment. A buyer without a linked Discord account is emailed an invitation.
          </Text>
          <Select
            label="Entitlement"
            data={options}
            value={entitlementId}
            onChange={setEntitlementId}
            required
            data-autofocus
          />
          <TextInput
            label="Email"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            description="Email and/or Discord user id: the buyer is found or created."
          />
          <TextInput
            label="Discord user id"
            inputMode="numeric"
            value={discordId}
            onChange={(e) => setDiscordId(e.currentTarget.value)}
          />
          <NumberInput
            label="Days of access"
            description="Empty: the entitlement's own duration."
            min={1}
            max={36500}
            value={days}
            onChange={setDays}
          />
          <Select
            label="Kind"
            data={[
              { value: 'comp', label: 'Complimentary (comp)' },
              { value: 'manual', label: 'Manual (paid elsewhere)' },
            ]}
            value={source}
            onChange={setSource}
            allowDeselect={false}
          />
          <TextInput label="Note (optional)" value={note} onChange={(e) => setNote(e.currentTarget.value)} />
          {grant.error ? <ErrorNotice error={grant.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button onClick={() => grant.mutate()} loading={grant.isPending} disabled={!entitlementId}>
              Grant access
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

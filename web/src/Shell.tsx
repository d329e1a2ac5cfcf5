import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { api } from './api';
import { useSession } from './session';

/** The dashboard's pages, in the order a merchant needs them. */
export const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/setup', label: 'Setup' },
  { to: '/servers', label: 'Servers' },
  { to: '/entitlements', label: 'Entitlements' },
  { to: '/subscribers', label: 'Subscribers' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/settings', label: 'Settings & admins' },
] as const;

const isActive = (path: string, to: string) =>
  to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);

export function Shell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const { pathname } = useLocation();
  const session = useSession();
  const queryClient = useQueryClient();
  // The open alerts, counted beside "Alerts" on every page (the same query the Alerts page reads).
  const alerts = useQuery({
    queryKey: ['alerts'],
    queryFn: () => api.get<{ data: unknown[] }>('/api/alerts'),
    refetchInterval: 60_000,
  });
  const alertCount = alerts.data?.data.length ?? 0;

  const signOut = async () => {
    await api.post('/api/session/sign-out').catch(() => undefined);
    queryClient.clear();
    window.location.assign('/sign-in');
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
      // No slide: at a phone's width the menu is simply shown or hidden (a sliding panel caught
      // half-way covered the page after a resize).
      transitionDuration={0}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={2} size="h4" c="#2b3a9e">
              Rolegate
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="xs" c="#343a40">
              {session.admin.username}
            </Text>
            <Button size="xs" variant="default" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Dashboard">
        {NAV.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            active={isActive(pathname, item.to)}
            rightSection={
              item.to === '/alerts' && alertCount > 0 ? (
                <Badge color="red.9" size="sm" circle>
                  {alertCount}
                </Badge>
              ) : undefined
            }
            aria-current={isActive(pathname, item.to) ? 'page' : undefined}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <div style={{ maxWidth: 1100 }}>{children}</div>
      </AppShell.Main>
    </AppShell>
  );
}

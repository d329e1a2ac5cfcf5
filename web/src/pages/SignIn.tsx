import { Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { useSearchParams } from 'react-router';

/**
 * Sign in with Discord. With `?invite=` (the first-run setup link or an admin's invitation) the
 * invitation rides along the OAuth round trip and is used up when Discord says who you are.
 */
export function SignInPage() {
  const [params] = useSearchParams();
  const invite = params.get('invite');
  const href = `/auth/discord/sign-in${invite ? `?invite=${encodeURIComponent(invite)}` : ''}`;
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" maw={420} w="100%">
        <Stack>
          <Title order={1} size="h2">
            Sign in to Rolegate
          </Title>
          {invite ? (
            <Text>
              You have been invited to administer this Rolegate. Sign in with your Discord account to accept:
              this link works once.
            </Text>
          ) : (
            <Text>The dashboard is for this Rolegate&apos;s admins. Sign in with your Discord account.</Text>
          )}
          <Button component="a" href={href} size="md" color="#4752c4">
            Sign in with Discord
          </Button>
          <Text size="sm" c="#495057">
            Rolegate asks Discord only for your user name and id. Not an admin yet? Ask an admin for an
            invitation link, or use the first-run link printed when Rolegate started.
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}

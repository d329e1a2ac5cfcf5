import { Alert } from '@mantine/core';
import { PageHeader } from '../ui';

/** A page whose screen is not built yet; everything it will show is in the API already or soon. */
export function ComingSoon({ title }: { title: string }) {
  return (
    <>
      <PageHeader title={title} />
      <Alert color="gray" title="Not built yet">
        This page is on its way. Meanwhile, everything it will show is available through the API (see{' '}
        <a href="/api/docs">the API docs</a>).
      </Alert>
    </>
  );
}

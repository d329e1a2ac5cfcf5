import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  Loader,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Page } from '../api';
import { ErrorNotice, PageHeader, formatDate } from '../ui';

/** `GET /api/jobs` and `/api/jobs/stats` (src/http/routes/jobs.ts). */
interface Job {
  id: string;
  kind: string;
  status: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  run_at: string | null;
  last_error: string | null;
  created_at: string | null;
  updated_at: string | null;
}
interface JobStats {
  queued: number;
  running: number;
  dead: number;
  due: number;
}

type Filter = 'dead' | 'queued' | 'running';

function Stat({ label, value }: { label: string; value: number | undefined }) {
  return (
    <Card withBorder padding="sm">
      <Text fz="sm" c="#495057">
        {label}
      </Text>
      <Text fz="xl" fw={700}>
        {value ?? '—'}
      </Text>
    </Card>
  );
}

function JobRow({ job, onRetry, retrying }: { job: Job; onRetry: () => void; retrying: boolean }) {
  return (
    <Card withBorder padding="md" data-testid="job">
      <Group justify="space-between" wrap="wrap" gap="xs" align="flex-start">
        <Stack gap={2} style={{ flex: '1 1 14rem', minWidth: 0 }}>
          <Group gap="xs" wrap="wrap">
            <Text fw={600} ff="monospace">
              {job.kind}
            </Text>
            <Text span fw={700} fz="sm" tt="uppercase" c={job.status === 'dead' ? '#a61b1b' : '#343a40'}>
              {job.status}
            </Text>
          </Group>
          <Text fz="sm" c="#495057">
            {job.id} · attempt {job.attempts} of {job.max_attempts} · created {formatDate(job.created_at)}
            {job.status === 'queued' ? ` · runs ${formatDate(job.run_at)}` : ''}
          </Text>
          {job.last_error ? (
            <Text fz="sm" c="#a61b1b" style={{ overflowWrap: 'anywhere' }}>
              {job.last_error}
            </Text>
          ) : null}
          <details>
            <summary style={{ cursor: 'pointer', fontSize: 14 }}>Payload</summary>
            <Code block style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
              {JSON.stringify(job.payload, null, 2)}
            </Code>
          </details>
        </Stack>
        {job.status === 'dead' ? (
          <Button size="xs" onClick={onRetry} loading={retrying} aria-label={`Retry ${job.kind} ${job.id}`}>
            Retry
          </Button>
        ) : null}
      </Group>
    </Card>
  );
}

/** The job queue: what waits, what runs, what died (with its error), and retrying it. */
export function JobsPage() {
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<Filter>('dead');
  const stats = useQuery({ queryKey: ['jobs-stats'], queryFn: () => api.get<JobStats>('/api/jobs/stats') });
  const jobs = useQuery({
    queryKey: ['jobs', filter],
    queryFn: () => api.get<Page<Job>>(`/api/jobs?status=${filter}&limit=100`),
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['jobs'] }),
      queryClient.invalidateQueries({ queryKey: ['jobs-stats'] }),
    ]);
  const retry = useMutation({
    mutationFn: (id: string) => api.post<Job>(`/api/jobs/${id}/retry`),
    onSuccess: refresh,
  });
  const retryAll = useMutation({
    mutationFn: () => api.post<{ retried: number }>('/api/jobs/retry-dead'),
    onSuccess: refresh,
  });
  const dead = stats.data?.dead ?? 0;
  return (
    <>
      <PageHeader
        title="Jobs"
        description="Work Rolegate does in the background. A dead job failed its last attempt: fix the cause, then retry it."
        actions={
          <>
            <Button variant="default" onClick={() => void refresh()}>
              Refresh
            </Button>
            {dead > 0 ? (
              <Button onClick={() => retryAll.mutate()} loading={retryAll.isPending}>
                Retry all dead
              </Button>
            ) : null}
          </>
        }
      />
      <Stack>
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Stat label="Dead" value={stats.data?.dead} />
          <Stat label="Queued" value={stats.data?.queued} />
          <Stat label="Due now" value={stats.data?.due} />
          <Stat label="Running" value={stats.data?.running} />
        </SimpleGrid>
        <SegmentedControl
          aria-label="Which jobs"
          value={filter}
          onChange={(v) => setFilter(v as Filter)}
          data={[
            { value: 'dead', label: 'Dead' },
            { value: 'queued', label: 'Queued' },
            { value: 'running', label: 'Running' },
          ]}
        />
        {retry.data ? (
          <Alert color="green" role="status" title="Job queued again">
            {retry.data.kind} {retry.data.id} runs now with a fresh set of attempts.
          </Alert>
        ) : null}
        {retryAll.data ? (
          <Alert color="green" role="status" title="Dead jobs queued again">
            {retryAll.data.retried} job(s) run again.
          </Alert>
        ) : null}
        {(retry.error ?? retryAll.error) ? (
          <ErrorNotice error={retry.error ?? retryAll.error} title="Not retried" />
        ) : null}
        {jobs.isPending ? <Loader aria-label="Loading jobs" /> : null}
        {jobs.error ? <ErrorNotice error={jobs.error} /> : null}
        {jobs.data?.data.length === 0 ? <Text>No {filter} job.</Text> : null}
        {jobs.data?.data.map((job) => (
          <JobRow
            key={job.id}
            job={job}
            onRetry={() => retry.mutate(job.id)}
            retrying={retry.isPending && retry.variables === job.id}
          />
        ))}
      </Stack>
    </>
  );
}

import { Group, Table, Text } from '@mantine/core';

type Day = { date: string; new: number; lost: number };

const W = 600;
const H = 160;
const PAD = 8;
const NEW_COLOR = '#2b8a3e';
const LOST_COLOR = '#c92a2a';

/**
 * New and lost members per day as bars drawn in SVG (new above the line, lost below), with the same
 * figures as a table for screen readers and anyone who wants the numbers.
 */
export function NewLostChart({ days }: { days: Day[] }) {
  const max = Math.max(1, ...days.map((d) => Math.max(d.new, d.lost)));
  const mid = H / 2;
  const scale = (mid - PAD) / max;
  const slot = W / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.6);
  const totalNew = days.reduce((n, d) => n + d.new, 0);
  const totalLost = days.reduce((n, d) => n + d.lost, 0);
  const summary = `New and lost members per day, ${days[0]?.date ?? ''} to ${days.at(-1)?.date ?? ''}: ${totalNew} new, ${totalLost} lost; busiest day ${max}.`;
  return (
    <figure style={{ margin: 0 }}>
      <Group justify="space-between" gap="xs" wrap="wrap" mb={4}>
        <Text fz="xs" c="#343a40">
          Most in one day: {max}
        </Text>
        <Group gap="md" wrap="wrap">
          <Text fz="xs" c="#343a40">
            <span style={{ display: 'inline-block', width: 10, height: 10, background: NEW_COLOR }} /> New
            (above the line)
          </Text>
          <Text fz="xs" c="#343a40">
            <span style={{ display: 'inline-block', width: 10, height: 10, background: LOST_COLOR }} /> Lost
            (below)
          </Text>
        </Group>
      </Group>
      {/* Stretched to the card's width: bars only, no text, so nothing is distorted. */}
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        width="100%"
        height={H}
        role="img"
        aria-label={summary}
        style={{ display: 'block', background: '#f8f9fa', borderRadius: 4 }}
      >
        <line
          x1={0}
          x2={W}
          y1={mid}
          y2={mid}
          stroke="#495057"
          strokeWidth={1}
          vectorEffect="non-scaling-stroke"
        />
        {days.map((d, i) => {
          const x = i * slot + (slot - bar) / 2;
          return (
            <g key={d.date}>
              {d.new > 0 ? (
                <rect x={x} y={mid - d.new * scale} width={bar} height={d.new * scale} fill={NEW_COLOR}>
                  <title>{`${d.date}: ${d.new} new`}</title>
                </rect>
              ) : null}
              {d.lost > 0 ? (
                <rect x={x} y={mid} width={bar} height={d.lost * scale} fill={LOST_COLOR}>
                  <title>{`${d.date}: ${d.lost} lost`}</title>
                </rect>
              ) : null}
            </g>
          );
        })}
      </svg>
      <Group justify="space-between" gap="xs" mt={4}>
        <Text fz="xs" c="#343a40">
          {days[0]?.date}
        </Text>
        <Text fz="xs" c="#343a40">
          {days.at(-1)?.date}
        </Text>
      </Group>
      <details style={{ marginTop: 8 }}>
        <summary style={{ cursor: 'pointer', fontSize: 14 }}>Show the figures as a table</summary>
        <Table.ScrollContainer minWidth={240}>
          <Table fz="sm" striped>
            <caption style={{ textAlign: 'left' }}>New and lost members per day (UTC)</caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Day</Table.Th>
                <Table.Th scope="col">New</Table.Th>
                <Table.Th scope="col">Lost</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {days.map((d) => (
                <Table.Tr key={d.date}>
                  <Table.Td>{d.date}</Table.Td>
                  <Table.Td>{d.new}</Table.Td>
                  <Table.Td>{d.lost}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </details>
    </figure>
  );
}

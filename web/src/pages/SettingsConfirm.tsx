import { Button, Group, Text, type ButtonProps } from '@mantine/core';
import { useState } from 'react';

/**
 * A destructive action asked twice, in place: the first press shows what will happen with
 * "Yes, …" and "Cancel" (focus goes to Cancel, so Enter twice does nothing harmful).
 */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  loading,
  ariaLabel,
  ...props
}: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void;
  loading?: boolean;
  ariaLabel?: string;
} & Omit<ButtonProps, 'children'>) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <Button color="red" variant="light" {...props} aria-label={ariaLabel} onClick={() => setAsking(true)}>
        {label}
      </Button>
    );
  return (
    <Group gap="xs" wrap="wrap" role="group" aria-label={question}>
      <Text fz="sm" fw={600}>
        {question}
      </Text>
      <Button
        color="red"
        {...(props.size ? { size: props.size } : {})}
        loading={loading ?? false}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </Button>
      <Button
        variant="default"
        {...(props.size ? { size: props.size } : {})}
        onClick={() => setAsking(false)}
        data-autofocus
        autoFocus
      >
        Cancel
      </Button>
    </Group>
  );
}

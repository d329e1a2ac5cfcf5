import { FormErrors, apiError } from './errors.js';

/** Message flags Rolegate may send (docs: resources/message#message-object-message-flags). */
export const MessageFlag = {
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsComponentsV2: 1 << 15,
} as const;

export interface MessageFields {
  content?: string;
  embeds?: Record<string, unknown>[];
  components?: Record<string, unknown>[];
  flags?: number;
  nonce?: string | number;
  enforceNonce?: boolean;
}

type Mode = 'create' | 'edit';

/**
 * Validates a message body the way Discord does and returns its fields; throws 50035 with
 * Discord's nested field errors, or 50006 for an empty message on create.
 */
export function validateMessage(body: Record<string, unknown>, mode: Mode): MessageFields {
  const errors = new FormErrors();
  const fields: MessageFields = {};

  const { content, embeds, components, flags, nonce } = body;
  if (content !== undefined && content !== null) {
    if (typeof content !== 'string') {
      errors.add(['content'], 'BASE_TYPE_STRING', 'Could not interpret value as string.');
    } else {
      if (content.length > 2000)
        errors.add(['content'], 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
      fields.content = content;
    }
  }
  if (flags !== undefined && flags !== null) {
    if (typeof flags !== 'number' || !Number.isInteger(flags)) {
      errors.add(['flags'], 'NUMBER_TYPE_COERCE', 'Value is not int.');
    } else {
      fields.flags = flags;
    }
  }
  const v2 = ((fields.flags ?? 0) & MessageFlag.IsComponentsV2) !== 0;
  if (embeds !== undefined && embeds !== null) {
    fields.embeds = validateEmbeds(embeds, errors);
    if (v2 && fields.embeds.length > 0) {
      errors.add(
        ['embeds'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      );
    }
  }
  if (v2 && fields.content) {
    errors.add(
      ['content'],
      'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
      "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
    );
  }
  if (components !== undefined && components !== null) {
    fields.components = v2
      ? validateComponentsV2(components, errors)
      : validateLegacyComponents(components, errors);
  }
  if (nonce !== undefined && nonce !== null) {
    if ((typeof nonce !== 'string' && typeof nonce !== 'number') || String(nonce).length > 25) {
      errors.add(['nonce'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    } else {
      fields.nonce = nonce;
    }
  }
  if (body['enforce_nonce'] === true) fields.enforceNonce = true;
  errors.throwIfAny();

  if (mode === 'create') {
    const empty =
      !fields.content &&
      (fields.embeds?.length ?? 0) === 0 &&
      (fields.components?.length ?? 0) === 0 &&
      body['sticker_ids'] === undefined &&
      body['poll'] === undefined;
    if (empty) throw apiError('EmptyMessage');
  }
  return fields;
}

function asObjectArray(value: unknown, path: string, errors: FormErrors): Record<string, unknown>[] {
  if (!Array.isArray(value)) {
    errors.add([path], 'BASE_TYPE_ARRAY', 'Could not interpret value as array.');
    return [];
  }
  return value.filter((item, index): item is Record<string, unknown> => {
    const ok = item !== null && typeof item === 'object' && !Array.isArray(item);
    if (!ok) errors.add([path, index], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    return ok;
  });
}

function maxLength(
  errors: FormErrors,
  path: ReadonlyArray<string | number>,
  value: unknown,
  max: number,
): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'string') {
    errors.add(path, 'BASE_TYPE_STRING', 'Could not interpret value as string.');
    return 0;
  }
  if (value.length > max) errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  return value.length;
}

function validateEmbeds(value: unknown, errors: FormErrors): Record<string, unknown>[] {
  const embeds = asObjectArray(value, 'embeds', errors);
  if (embeds.length > 10) errors.add(['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
  let total = 0;
  embeds.forEach((embed, i) => {
    total += maxLength(errors, ['embeds', i, 'title'], embed['title'], 256);
    total += maxLength(errors, ['embeds', i, 'description'], embed['description'], 4096);
    const footer = embed['footer'];
    if (footer && typeof footer === 'object') {
      total += maxLength(
        errors,
        ['embeds', i, 'footer', 'text'],
        (footer as Record<string, unknown>)['text'],
        2048,
      );
    }
    const author = embed['author'];
    if (author && typeof author === 'object') {
      total += maxLength(
        errors,
        ['embeds', i, 'author', 'name'],
        (author as Record<string, unknown>)['name'],
        256,
      );
    }
    if (embed['url'] !== undefined && !isWebUrl(embed['url'])) {
      errors.add(['embeds', i, 'url'], 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
    }
    if (embed['fields'] !== undefined) {
      const list = asObjectArray(embed['fields'], 'fields', errors);
      if (list.length > 25)
        errors.add(['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      list.forEach((field, j) => {
        for (const [key, max] of [
          ['name', 256],
          ['value', 1024],
        ] as const) {
          if (typeof field[key] !== 'string' || field[key] === '') {
            errors.add(['embeds', i, 'fields', j, key], 'BASE_TYPE_REQUIRED', 'This field is required');
          } else {
            total += maxLength(errors, ['embeds', i, 'fields', j, key], field[key], max);
          }
        }
      });
    }
  });
  if (total > 6000)
    errors.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  return embeds;
}

const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

function validateLegacyComponents(value: unknown, errors: FormErrors): Record<string, unknown>[] {
  const rows = asObjectArray(value, 'components', errors);
  if (rows.length > 5) errors.add(['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.');
  const customIds = new Set<string>();
  rows.forEach((row, i) => {
    if (row['type'] !== 1) {
      errors.add(
        ['components', i, 'type'],
        'UNION_TYPE_CHOICES',
        'Value of field "type" must be one of (1,).',
      );
      return;
    }
    const children = Array.isArray(row['components']) ? row['components'] : [];
    if (children.length === 0) {
      errors.add(['components', i, 'components'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
    }
    if (children.length > 5) {
      errors.add(['components', i, 'components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.');
    }
    children.forEach((child: unknown, j: number) => {
      const path = ['components', i, 'components', j] as const;
      if (child === null || typeof child !== 'object') {
        errors.add(path, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
        return;
      }
      const component = child as Record<string, unknown>;
      if (SELECT_TYPES.has(Number(component['type']))) {
        if (children.length > 1) {
          errors.add(
            path,
            'COMPONENT_LAYOUT_WIDTH_EXCEEDED',
            'The specified component exceeds the maximum width',
          );
        }
        checkCustomId(component, [...path], errors, customIds);
        return;
      }
      if (component['type'] !== 2) {
        errors.add(
          [...path, 'type'],
          'UNION_TYPE_CHOICES',
          'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).',
        );
        return;
      }
      validateButton(component, [...path], errors, customIds);
    });
  });
  return rows;
}

function validateButton(
  button: Record<string, unknown>,
  path: Array<string | number>,
  errors: FormErrors,
  customIds: Set<string>,
): void {
  const style = button['style'];
  if (typeof style !== 'number' || ![1, 2, 3, 4, 5, 6].includes(style)) {
    errors.add([...path, 'style'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4, 5, 6}.');
    return;
  }
  maxLength(errors, [...path, 'label'], button['label'], 80);
  if (style === 5) {
    const url = button['url'];
    if (typeof url !== 'string' || url === '') {
      errors.add([...path, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required');
    } else if (url.length > 512) {
      errors.add([...path, 'url'], 'BASE_TYPE_MAX_LENGTH', 'Must be 512 or fewer in length.');
    } else if (!isWebUrl(url) && !url.startsWith('discord://')) {
      errors.add([...path, 'url'], 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
    }
    if (button['custom_id'] !== undefined) {
      errors.add(
        [...path, 'custom_id'],
        'BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED',
        'A custom id cannot be specified for a link button',
      );
    }
    return;
  }
  if (style === 6) return; // premium buttons carry a sku_id instead
  if (button['url'] !== undefined) {
    errors.add(
      [...path, 'url'],
      'BUTTON_COMPONENT_URL_NOT_ALLOWED',
      'A url can only be specified for a link button',
    );
  }
  checkCustomId(button, path, errors, customIds);
}

function checkCustomId(
  component: Record<string, unknown>,
  path: Array<string | number>,
  errors: FormErrors,
  customIds: Set<string>,
): void {
  const customId = component['custom_id'];
  if (typeof customId !== 'string' || customId === '') {
    errors.add([...path, 'custom_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
  } else if (customId.length > 100) {
    errors.add([...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  } else if (customIds.has(customId)) {
    errors.add(
      [...path, 'custom_id'],
      'COMPONENT_CUSTOM_ID_DUPLICATED',
      'Component custom id cannot be duplicated',
    );
  } else {
    customIds.add(customId);
  }
}

/** Components V2: only the 40-component total is checked here. */
function validateComponentsV2(value: unknown, errors: FormErrors): Record<string, unknown>[] {
  const top = asObjectArray(value, 'components', errors);
  const count = (items: unknown): number =>
    Array.isArray(items)
      ? items.reduce<number>((sum, item) => {
          const nested =
            item && typeof item === 'object' ? (item as Record<string, unknown>)['components'] : undefined;
          return sum + 1 + count(nested);
        }, 0)
      : 0;
  if (count(top) > 40) errors.add(['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 40 or fewer in length.');
  return top;
}

function isWebUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

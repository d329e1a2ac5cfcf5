import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { MessageType, type APIMessage } from 'discord-api-types/v10';
import type { CommandStore } from './commands.js';
import { DiscordRouteError, apiError } from './errors.js';
import { MessageFlag, validateMessage } from './message-validation.js';
import { buildMessage, deleteMessage, editMessage, storeMessage } from './messages.js';
import { buildInteractionPayload, type InteractionInput } from './interaction-payload.js';
import type { DiscordState } from './state.js';

/** Interaction tokens stay valid for follow-ups this long (on the injected clock). */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;
/** Discord gives the endpoint this long (wall clock) to acknowledge an interaction. */
export const INTERACTION_DEADLINE_MS = 3_000;

export interface SendInteractionOptions {
  /** Sign with a key that is not the application's (Discord does this to test endpoints). */
  forgeSignature?: boolean;
  /** Put the signed timestamp this many seconds in the past. */
  staleSeconds?: number;
}

export interface SentInteraction {
  interactionId: string;
  token: string;
  /** The endpoint's HTTP status; 0 when it did not answer within the 3 s deadline. */
  status: number;
  /** Parsed JSON when the endpoint answered JSON, else the raw text (or null). */
  body: unknown;
  elapsedMs: number;
  timedOut: boolean;
  /** Why Discord would show "This interaction failed"; null when acknowledged properly. */
  failure: string | null;
}

export interface InteractionResponse {
  via: 'inline' | 'callback';
  type: number;
  data?: Record<string, unknown>;
}

export interface InteractionReplies {
  interactionId: string;
  payload: Readonly<Record<string, unknown>>;
  responses: readonly InteractionResponse[];
  /** The original response message (type 4/5; for 6/7 the message the component is on). */
  original: APIMessage | null;
  followups: readonly APIMessage[];
  /** `original` then `followups`. */
  messages: readonly APIMessage[];
  failure: string | null;
}

interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  payload: Record<string, unknown>;
  channelId: string | null;
  createdAt: number;
  sentAtMs: number | null;
  responses: InteractionResponse[];
  original: APIMessage | null;
  /** True while a deferred (type 5) original hasn't been edited yet. */
  originalLoading: boolean;
  followups: APIMessage[];
  failure: string | null;
}

/** Interactions the Local Discord sent, their tokens, and what the application answered. */
export class InteractionHub {
  endpointUrl: string | null = null;
  readonly publicKeyHex: string;
  private readonly privateKey: KeyObject;
  private readonly forgeKey: KeyObject;
  private readonly records = new Map<string, InteractionRecord>();
  private readonly byToken = new Map<string, InteractionRecord>();

  constructor(
    private readonly state: DiscordState,
    private readonly commands: CommandStore,
    readonly applicationId: string,
    private readonly deadlineMs: number,
  ) {
    const pair = generateKeyPairSync('ed25519');
    this.privateKey = pair.privateKey;
    this.forgeKey = generateKeyPairSync('ed25519').privateKey;
    // Raw 32-byte key = SPKI DER minus its 12-byte header; Discord shows it hex-encoded.
    this.publicKeyHex = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
  }

  replies(interactionId: string): InteractionReplies {
    const record = this.records.get(interactionId);
    if (!record) throw new Error(`Local Discord: no interaction ${interactionId}`);
    const messages = record.original ? [record.original, ...record.followups] : [...record.followups];
    return {
      interactionId: record.id,
      payload: record.payload,
      responses: [...record.responses],
      original: record.original,
      followups: [...record.followups],
      messages,
      failure: record.failure,
    };
  }

  /** Builds, signs and POSTs an interaction to the endpoint, like Discord does. */
  async send(input: InteractionInput, options: SendInteractionOptions = {}): Promise<SentInteraction> {
    if (!this.endpointUrl) throw new Error('Local Discord: call setInteractionsEndpoint(url) first');
    return this.post(this.create(input), options, true);
  }

  /**
   * POSTs an interaction already sent once again, same id and body, freshly signed: a duplicate
   * delivery. Its answer is returned but not judged (the interaction keeps the first one's).
   */
  async redeliver(interactionId: string): Promise<SentInteraction> {
    const record = this.records.get(interactionId);
    if (!record) throw new Error(`Local Discord: no interaction ${interactionId} was sent`);
    return this.post(record, {}, false);
  }

  private async post(
    record: InteractionRecord,
    options: SendInteractionOptions,
    judge: boolean,
  ): Promise<SentInteraction> {
    const url = this.endpointUrl;
    if (!url) throw new Error('Local Discord: call setInteractionsEndpoint(url) first');
    const rawBody = JSON.stringify(record.payload);
    const timestamp = String(Math.floor(this.state.now() / 1000) - (options.staleSeconds ?? 0));
    const key = options.forgeSignature ? this.forgeKey : this.privateKey;
    const signature = sign(null, Buffer.from(timestamp + rawBody), key).toString('hex');
    const forged = options.forgeSignature === true || (options.staleSeconds ?? 0) > 0;

    const started = performance.now();
    if (judge) record.sentAtMs = started;
    let status = 0;
    let text = '';
    let contentType = '';
    let timedOut = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Discord-Interactions/1.0 (+https://discord.com)',
          'X-Signature-Ed25519': signature,
          'X-Signature-Timestamp': timestamp,
        },
        body: rawBody,
        signal: AbortSignal.timeout(this.deadlineMs),
      });
      status = response.status;
      contentType = response.headers.get('content-type') ?? '';
      text = await response.text();
    } catch (error) {
      if (!(error instanceof Error) || (error.name !== 'TimeoutError' && error.name !== 'AbortError'))
        throw error;
      timedOut = true;
    }
    const elapsedMs = performance.now() - started;
    const body = parseMaybeJson(text, contentType);
    if (!forged && judge) this.judgeEndpointAnswer(record, status, body, timedOut);
    return {
      interactionId: record.id,
      token: record.token,
      status,
      body,
      elapsedMs,
      timedOut,
      failure: record.failure,
    };
  }

  /** What Discord makes of the endpoint's HTTP answer. */
  private judgeEndpointAnswer(
    record: InteractionRecord,
    status: number,
    body: unknown,
    timedOut: boolean,
  ): void {
    if (timedOut) {
      record.failure ??= `no answer within ${this.deadlineMs} ms`;
      return;
    }
    if (status === 200 && body !== null && typeof body === 'object' && !Array.isArray(body)) {
      try {
        this.acknowledge(record, body as Record<string, unknown>, 'inline');
      } catch (error) {
        record.failure =
          error instanceof Error ? `invalid inline response: ${error.message}` : 'invalid inline response';
      }
      return;
    }
    if ((status === 202 || status === 204) && record.responses.length > 0) return;
    record.failure ??= `endpoint answered ${status} without acknowledging the interaction`;
  }

  /** Looks up an interaction for its callback (id + token must match; 10062 otherwise). */
  forCallback(interactionId: string, token: string): InteractionRecord {
    const record = this.records.get(interactionId);
    if (!record || record.token !== token) throw apiError('UnknownInteraction');
    const late = record.sentAtMs !== null && performance.now() - record.sentAtMs > this.deadlineMs;
    if (late && record.responses.length === 0) throw apiError('UnknownInteraction');
    return record;
  }

  /** Looks up an interaction by its webhook token (follow-ups): 10015 unknown, 50027 expired. */
  forWebhook(applicationId: string, token: string): InteractionRecord {
    const record = this.byToken.get(token);
    if (applicationId !== this.applicationId || !record) throw apiError('UnknownWebhook');
    if (this.state.now() - record.createdAt >= INTERACTION_TOKEN_TTL_MS)
      throw apiError('InvalidWebhookToken');
    return record;
  }

  /** Applies an interaction response (inline or via the callback route), validating it as Discord does. */
  acknowledge(
    record: InteractionRecord,
    body: Record<string, unknown>,
    via: 'inline' | 'callback',
  ): APIMessage | null {
    if (record.responses.length > 0) throw apiError('AlreadyAcknowledged');
    const type = body['type'];
    const data = isObject(body['data']) ? body['data'] : undefined;
    const invalid = (message: string): DiscordRouteError =>
      new DiscordRouteError(400, {
        message: 'Invalid Form Body',
        code: 50035,
        errors: { type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message }] } },
      });
    if (typeof type !== 'number') throw invalid('This field is required');
    const isPing = record.type === 1;
    if (isPing !== (type === 1)) throw invalid('Interaction response type is invalid for this interaction');
    const isComponent = record.type === 3;
    switch (type) {
      case 1:
        break;
      case 4: {
        const fields = validateMessage(data ?? {}, 'create');
        record.original = this.replyMessage(record, fields);
        break;
      }
      case 5: {
        const ephemeral = ((Number(data?.['flags']) || 0) & MessageFlag.Ephemeral) !== 0;
        const flags = MessageFlag.Loading | (ephemeral ? MessageFlag.Ephemeral : 0);
        record.original = this.replyMessage(record, { content: '', flags });
        record.originalLoading = true;
        break;
      }
      case 6:
      case 7: {
        if (!isComponent) throw invalid('Interaction response type is invalid for this interaction');
        record.original = this.sourceMessage(record);
        if (type === 7 && record.original)
          editMessage(this.state, record.original, validateMessage(data ?? {}, 'edit'));
        break;
      }
      case 9:
        if (!data || typeof data['custom_id'] !== 'string' || typeof data['title'] !== 'string') {
          throw invalid('A modal needs custom_id, title and components');
        }
        break;
      default:
        throw invalid(`Interaction response type ${type} is not supported here`);
    }
    record.responses.push(data === undefined ? { via, type } : { via, type, data });
    return record.original;
  }

  /** `POST /webhooks/{app}/{token}`: the first one after a deferral edits the original. */
  followUp(record: InteractionRecord, body: Record<string, unknown>): APIMessage {
    if (record.responses.length === 0) throw apiError('UnknownWebhook');
    if (record.originalLoading && record.original) return this.editOriginal(record, body);
    const message = this.replyMessage(record, validateMessage(body, 'create'));
    record.followups.push(message);
    return message;
  }

  editOriginal(record: InteractionRecord, body: Record<string, unknown>): APIMessage {
    if (!record.original) throw apiError('UnknownMessage');
    record.originalLoading = false;
    return editMessage(this.state, record.original, validateMessage(body, 'edit'));
  }

  editFollowUp(record: InteractionRecord, message: APIMessage, body: Record<string, unknown>): APIMessage {
    if (!record.followups.includes(message)) throw apiError('UnknownMessage');
    return editMessage(this.state, message, validateMessage(body, 'edit'));
  }

  /** Original or follow-up by id (`@original` allowed). */
  message(record: InteractionRecord, messageId: string): APIMessage {
    const found =
      messageId === '@original'
        ? record.original
        : [record.original, ...record.followups].find((message) => message?.id === messageId);
    if (!found) throw apiError('UnknownMessage');
    return found;
  }

  deleteMessage(record: InteractionRecord, messageId: string): void {
    const message = this.message(record, messageId);
    if (message === record.original) record.original = null;
    record.followups = record.followups.filter((followup) => followup !== message);
    const channel = this.state.channels.get(message.channel_id);
    if (channel) deleteMessage(this.state, channel, message.id);
  }

  private replyMessage(record: InteractionRecord, fields: ReturnType<typeof validateMessage>): APIMessage {
    const channelId = record.channelId ?? '0';
    const message = buildMessage(this.state, {
      channelId,
      author: this.state.botUser,
      fields,
      webhookId: this.applicationId,
      applicationId: this.applicationId,
      type: record.type === 2 ? MessageType.ChatInputCommand : MessageType.Default,
    });
    // Ephemeral replies exist only for the person who acted; they never land in the channel.
    const channel = this.state.channels.get(channelId);
    if (channel && ((fields.flags ?? 0) & MessageFlag.Ephemeral) === 0)
      storeMessage(this.state, channel, message);
    return message;
  }

  private sourceMessage(record: InteractionRecord): APIMessage | null {
    const source = record.payload['message'];
    if (!isObject(source) || typeof source['id'] !== 'string') return null;
    return this.state.channels.get(record.channelId ?? '')?.messages.get(source['id']) ?? null;
  }

  private create(input: InteractionInput): InteractionRecord {
    const built = buildInteractionPayload(this.state, this.commands, this.applicationId, input);
    const record: InteractionRecord = {
      ...built,
      type: input.type,
      createdAt: this.state.now(),
      sentAtMs: null,
      responses: [],
      original: null,
      originalLoading: false,
      followups: [],
      failure: null,
    };
    this.records.set(record.id, record);
    this.byToken.set(record.token, record);
    return record;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseMaybeJson(text: string, contentType: string): unknown {
  if (text === '') return null;
  if (!contentType.includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export type { InteractionInput, InteractionRecord };

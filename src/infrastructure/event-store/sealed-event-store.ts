import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../../application/ports/event-store.port';
import type { SubjectKey, SubjectKeys } from '../../application/ports/subject-keys.port';
import { isSealedStream, mapPersonalFields, redactedValue, type PersonalKind } from '../../application/privacy/personal-fields';

/**
 * An event's personal values are sealed together, in one AES-256-GCM operation over the JSON list
 * of them (the stream id as additional data): the first value's place holds
 * `sealed:v1:<keyId>:<base64url(iv | ciphertext | tag)>`, every other place
 * `sealed:v1:<keyId>:#<its index in the list>`. One cipher per event instead of one per value:
 * opening is on the path of every command (deciders fold their stream) and of every rebuild.
 */
const SEALED_PREFIX = 'sealed:v1:';
const SEALED = /^sealed:v1:([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_-]+|#\d{1,6})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A cipher made from a KeyObject skips the key import OpenSSL does for raw key bytes: several times
 * cheaper per event, which is most of what opening costs. Keyed by the key's Buffer, which the
 * subject-key caches hand out as the same object every time.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();

function keyObjectOf(key: Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (!object) keyObjects.set(key, (object = createSecretKey(key)));
  return object;
}

export function isSealedValue(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

export function sealValue(value: unknown, subject: string, key: SubjectKey, onSealed?: (sealed: string, json: string) => void): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyObjectOf(key.key), iv);
  cipher.setAAD(Buffer.from(subject, 'utf8'));
  const json = JSON.stringify(value);
  const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  const sealed = `${SEALED_PREFIX}${key.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  onSealed?.(sealed, json);
  return sealed;
}

/**
 * What this process sealed lately, by sealed bundle: the JSON it sealed. A just-appended event is
 * read back at once by the projections, the process managers and the next command on its stream;
 * they open it from here instead of deciphering it again. Only after its key was found to exist
 * (a destroyed key reads as redacted whatever is here), and bounded.
 */
class RecentlySealed {
  private readonly entries = new Map<string, string>();

  constructor(private readonly limit: number) {}

  remember(sealed: string, json: string): void {
    this.entries.set(sealed, json);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The values sealed in `sealed`, or undefined when it was not sealed here lately. */
  valuesOf(sealed: string): unknown {
    const json = this.entries.get(sealed);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  }
}

/** The value sealed in `sealed`, or undefined when it cannot be opened with `key` (another stream's, or altered). */
export function openValue(sealed: string, subject: string, key: Buffer): unknown {
  const match = SEALED.exec(sealed);
  if (match === null) return undefined;
  const bytes = Buffer.from(match[2], 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyObjectOf(key), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(subject, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const json = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function keyIdOf(sealed: string): string | null {
  return SEALED.exec(sealed)?.[1] ?? null;
}

/**
 * The privacy layer over an event store (docs/privacy.md). On append, the personal values of the
 * events of contact, conversation and ticket streams (application/privacy/personal-fields.ts), and
 * a contact actor's address in the metadata, are sealed with the stream's subject key; the inner
 * store chains and hashes what it stores, the sealed form, so `parley audit verify` needs no key
 * and still passes after the key is destroyed. On every read they are opened again; a value whose
 * key was destroyed reads as the redacted value of its kind. Values stored before sealing existed
 * (plain) read as they are.
 *
 * Appending an event id the stream already holds stays a no-op: the inner store decides that by
 * id, whatever the (freshly sealed, so different) bytes.
 */
export class SealedEventStore implements EventStore {
  private readonly recent = new RecentlySealed(8192);

  constructor(
    private readonly inner: EventStore,
    private readonly keys: SubjectKeys,
  ) {}

  /** The same log as stored (personal values sealed): what hash-chain verification reads. */
  get stored(): EventStore {
    return this.inner;
  }

  async append(streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (!isSealedStream(streamId) || events.length === 0) return this.inner.append(streamId, events, options);
    const key = await this.keys.keyFor(streamId);
    return this.inner.append(
      streamId,
      events.map((event) => sealEvent(event, streamId, key, (sealed, json) => this.recent.remember(sealed, json))),
      options,
    );
  }

  /** A head holds nothing sealed: the stored log's, or its last event's as stored (not opened). */
  async streamHead(streamId: string): Promise<{ revision: number; position: number } | null> {
    if (this.inner.streamHead) return this.inner.streamHead(streamId);
    const [last] = await this.inner.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last ? { revision: last.revision, position: last.position } : null;
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.openAll(await this.inner.readStream(streamId, options));
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.openAll(await this.inner.readAll(options));
  }

  async *subscribeAll(options: SubscribeAllOptions): AsyncIterable<RecordedEvent> {
    for await (const event of this.inner.subscribeAll(options)) yield await this.open(event);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  deleteStream(streamId: string): Promise<void> {
    return this.inner.deleteStream(streamId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async openAll(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const opened: RecordedEvent[] = [];
    for (const event of events) opened.push(await this.open(event));
    return opened;
  }

  /** The event with its sealed values opened: one key lookup (the adapter caches) and one cipher per event. */
  private async open(event: RecordedEvent): Promise<RecordedEvent> {
    if (!isSealedStream(event.streamId)) return event;
    let bundle: string | null = null;
    const find = (value: unknown) => {
      if (bundle === null && isSealedValue(value) && !SEALED.exec(value)?.[2].startsWith('#')) bundle = value;
      return value;
    };
    mapPersonalFields(event.type, event.data, find);
    sealActor(event.metadata, find);
    let sealedAny = bundle !== null;
    if (!sealedAny) {
      const anySealed = (value: unknown) => ((sealedAny ||= isSealedValue(value)), value);
      mapPersonalFields(event.type, event.data, anySealed);
      sealActor(event.metadata, anySealed);
      if (!sealedAny) return event;
    }
    let values: unknown[] | undefined;
    if (bundle !== null) {
      const keyId = keyIdOf(bundle);
      const key = keyId === null ? null : await this.keys.find(event.streamId, keyId);
      const opened = key === null ? undefined : (this.recent.valuesOf(bundle) ?? openValue(bundle, event.streamId, key));
      values = Array.isArray(opened) ? opened : undefined;
    }
    let index = 0;
    const openOne = (value: unknown, kind: PersonalKind) => {
      const at = index++;
      if (!isSealedValue(value)) return value;
      const opened = values?.[at];
      return opened === undefined ? redactedValue(kind) : opened;
    };
    const data = mapPersonalFields(event.type, event.data, openOne);
    const metadata = sealActor(event.metadata, (value) => openOne(value, 'address'));
    return { ...event, data, metadata };
  }
}

/** The event with its personal values sealed together (see SEALED): the same object when it has none. */
function sealEvent(event: NewEvent, streamId: string, key: SubjectKey, onSealed?: (sealed: string, json: string) => void): NewEvent {
  const values: unknown[] = [];
  const collect = (value: unknown) => (values.push(value), value);
  mapPersonalFields(event.type, event.data, collect);
  sealActor(event.metadata, collect);
  if (values.length === 0) return event;
  const bundle = sealValue(values, streamId, key, onSealed);
  let index = 0;
  const place = () => (index++ === 0 ? bundle : `${SEALED_PREFIX}${key.id}:#${index - 1}`);
  return { ...event, data: mapPersonalFields(event.type, event.data, place), metadata: sealActor(event.metadata, place) };
}

/** The metadata with a contact actor's address passed through `replace` (agents, bots and the system are no personal data). */
function sealActor<M extends EventMetadata>(metadata: M, replace: (value: unknown) => unknown): M {
  const actor = metadata.actor as { type: string; address?: unknown };
  if (actor.type !== 'contact' || actor.address === undefined) return metadata;
  const address = replace(actor.address);
  return address === actor.address ? metadata : { ...metadata, actor: { ...actor, address: address as string } };
}

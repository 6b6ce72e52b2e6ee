import { hash } from 'node:crypto';

/**
 * hashEvent of application/audit/hash-chain.ts, split so that the work that does not depend on
 * the event's place in its stream is done once, before the write transaction:
 *
 *   hashEvent(event, prevHash) === chainHash(eventHashParts(event...), event.revision, prevHash)
 *
 * byte for byte (test/infrastructure/event-hash.spec.ts pins it), so `parley audit verify`, which
 * recomputes with hashEvent, checks what this wrote. hashEvent hashes prevHash, "\n" and the
 * canonical JSON (keys sorted at every depth) of
 *   { data, id, metadata: { actor, causationId, correlationId, occurredAt }, revision, streamId, type }
 * so everything before the revision is one fixed prefix and everything after it one fixed suffix.
 */
export interface EventHashParts {
  /** `{"data":…,"id":…,"metadata":…,"revision":` */
  prefix: string;
  /** `,"streamId":…,"type":…}` */
  suffix: string;
}

/**
 * `data` and `metadata` must be values as JSON.parse returns them (what the event reads back as):
 * only plain objects, arrays, strings, finite numbers, booleans and null, never undefined. The
 * metadata object must hold no field but the four the hash covers.
 */
export function eventHashParts(id: string, streamId: string, type: string, data: unknown, metadata: unknown): EventHashParts {
  return {
    prefix: `{"data":${canonicalJsonOfParsed(data)},"id":${JSON.stringify(id)},"metadata":${canonicalJsonOfParsed(metadata)},"revision":`,
    suffix: `,"streamId":${JSON.stringify(streamId)},"type":${JSON.stringify(type)}}`,
  };
}

/** sha256(prevHash + "\n" + canonical event), as hex: the event's hash in its stream's chain. */
export function chainHash(parts: EventHashParts, revision: number, prevHash: string): string {
  return hash('sha256', `${prevHash}\n${parts.prefix}${revision}${parts.suffix}`, 'hex');
}

/**
 * canonicalJson of hash-chain.ts for a JSON.parse result, without its per-level arrays: keys
 * are sorted (by UTF-16 code units, as Array.prototype.sort does) only when they are not in
 * order already. A parsed value holds no undefined, so nothing is filtered out.
 */
export function canonicalJsonOfParsed(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let json = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) json += ',';
      json += canonicalJsonOfParsed(value[i]);
    }
    return `${json}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  for (let i = 1; i < keys.length; i += 1) {
    if (keys[i - 1] > keys[i]) {
      sortKeys(keys);
      break;
    }
  }
  let json = '{';
  for (let i = 0; i < keys.length; i += 1) {
    if (i > 0) json += ',';
    json += `${JSON.stringify(keys[i])}:${canonicalJsonOfParsed(object[keys[i]])}`;
  }
  return `${json}}`;
}

/**
 * Array.prototype.sort's order for strings (UTF-16 code units). A few keys are sorted by
 * insertion, in place: V8's TimSort allocates its work state on every call, ~1 kB each, which
 * made sorting the largest allocation of an append.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j -= 1;
    }
    keys[j + 1] = key;
  }
}

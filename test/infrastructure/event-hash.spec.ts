import { randomUUID } from 'node:crypto';
import { canonicalJson, GENESIS_HASH, hashEvent } from '../../src/application/audit/hash-chain';
import { canonicalJsonOfParsed, chainHash, eventHashParts } from '../../src/infrastructure/event-store/event-hash';

/** Values as JSON.parse returns them, in shapes that test key order, escaping and numbers. */
const DATA: unknown[] = [
  {},
  { b: 1, a: 2 },
  { a: 2, b: 1 },
  { '10': 'ten', '9': 'nine', '1': 'one', a: 'a', B: 'B', _: '_' },
  { nested: { z: [3, { y: 1, x: [] }, null], a: { c: true, b: false } }, list: [[], [{}], 'x'] },
  { quote: 'say "hi"\n\t\\', unicode: 'é€😀\u0000\u001f\u2028', 'key "quoted"': 1, ünï: 2, '😀': 3, é: 4, e: 5 },
  { numbers: [0, -0, 1.5, -2e-7, 1e21, 123456789012345680000, Number.MAX_SAFE_INTEGER, 0.1 + 0.2] },
  { empty: '', zero: 0, no: false, nothing: null },
  JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}'),
  { conversationId: randomUUID(), from: 'ana@example.com', subject: 'Order #1234 has not arrived', body: 'x'.repeat(200) },
];

const METADATA = [
  { actor: { type: 'contact', address: 'ana@example.com' }, occurredAt: '2026-01-02T03:04:05.678Z', correlationId: randomUUID(), causationId: randomUUID() },
  { actor: { type: 'system' }, occurredAt: '2026-01-02T03:04:05.678Z', correlationId: 'c' },
  { occurredAt: 'x', actor: null, causationId: '1', correlationId: '2' },
];

describe('event-hash (the append path of the hash chain)', () => {
  it('canonicalJsonOfParsed equals canonicalJson for parsed JSON', () => {
    for (const value of [...DATA, ...METADATA, [], [1, 'a', null], 'text', 12, null, true]) {
      const parsed = JSON.parse(JSON.stringify(value)) as unknown;
      expect(canonicalJsonOfParsed(parsed)).toBe(canonicalJson(parsed));
    }
  });

  it('chainHash of eventHashParts equals hashEvent, at any revision and previous hash', () => {
    for (const data of DATA) {
      for (const metadata of METADATA) {
        const parsedData = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
        const parsedMetadata = JSON.parse(JSON.stringify(metadata)) as Parameters<typeof hashEvent>[0]['metadata'];
        const id = randomUUID();
        const streamId = 'conversation-"é"-' + randomUUID();
        const parts = eventHashParts(id, streamId, 'Type "x"', parsedData, parsedMetadata);
        for (const [revision, prevHash] of [
          [0, GENESIS_HASH],
          [7, 'a'.repeat(64)],
          [123456, 'f0'.repeat(32)],
        ] as const) {
          expect(chainHash(parts, revision, prevHash)).toBe(
            hashEvent({ id, streamId, revision, type: 'Type "x"', data: parsedData, metadata: parsedMetadata }, prevHash),
          );
        }
      }
    }
  });
});

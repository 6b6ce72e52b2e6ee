import { deriveIds, uuidV5 } from '../../src/application/streams';

/**
 * Derived ids are stored in the log (conversations, messages, the default inbox): the same input
 * must give the same id in every version. The expected values were computed by the earlier
 * implementation (a Hash object per call); the first is RFC 9562's own example.
 */
describe('uuidV5', () => {
  it("gives RFC 9562's example for www.example.com in the DNS namespace", () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('derives the ids earlier versions derived', () => {
    expect(uuidV5('parley default inbox')).toBe('bc870af4-9d7c-509b-bf0e-1abc25b20e6e');
    expect(deriveIds.conversation('inbox-1', 'api', 'thread-ü-1')).toBe('0532c231-abca-573f-88dc-5851908dcf62');
    expect(deriveIds.message('c0a80101-0000-5000-8000-000000000001', 'm-1')).toBe('b4203f83-1217-5301-9385-3e92f7ee28c1');
  });
});

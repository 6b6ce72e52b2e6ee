import { extractMentionHandles, isRoleAddress, normalizeAddress } from '../../src/domain/shared/address';

describe('normalizeAddress', () => {
  it('lower-cases and trims email addresses', () => {
    expect(normalizeAddress('  Ana@Customer.Example ')).toBe('ana@customer.example');
  });

  it('only trims other channel addresses', () => {
    expect(normalizeAddress(' Visitor-AbC ')).toBe('Visitor-AbC');
    expect(normalizeAddress('+31612345678')).toBe('+31612345678');
  });
});

describe('isRoleAddress', () => {
  it.each([
    'No-Reply@X.com',
    'noreply@x.com',
    'do_not_reply@x.com',
    'sales+eu@x.com',
    'info@x.com',
    'support@x.com',
    'marketing@x.com',
    'verkoop@x.nl',
    'mailer-daemon@x.com',
    'INFO@X.COM',
  ])('%s is a role address', (address) => {
    expect(isRoleAddress(address)).toBe(true);
  });

  it.each(['ana@x.com', 'ana.lopez@x.com', 'salesman@x.com', 'info.ana@x.com', 'visitor-123', '+31612345678', '@x.com'])(
    '%s is not a role address',
    (address) => {
      expect(isRoleAddress(address)).toBe(false);
    },
  );
});

describe('extractMentionHandles', () => {
  it('finds handles, lower-cased, without the @, without repeats', () => {
    expect(extractMentionHandles('@Ana can you and @bo look? cc @ana')).toEqual(['ana', 'bo']);
  });

  it('keeps dotted handles and drops trailing punctuation', () => {
    expect(extractMentionHandles('thanks @ana.lopez. and @bo_berg, and (@cy)')).toEqual(['ana.lopez', 'bo_berg', 'cy']);
  });

  it('ignores email addresses and a lone @', () => {
    expect(extractMentionHandles('write to ana@customer.example or @ now')).toEqual([]);
  });

  it('reads non-Latin names', () => {
    expect(extractMentionHandles('@José and @Zoë')).toEqual(['josé', 'zoë']);
  });

  it('finds nothing in a text without mentions', () => {
    expect(extractMentionHandles('no mentions here')).toEqual([]);
  });
});

import { SettingsCipher, SettingsDecryptionError } from '../../../src/application/channel-connections/settings-cipher';

const KEY = 'instance-secret-for-the-cipher-test-0123456789';

describe('SettingsCipher: connection secrets at rest', () => {
  const cipher = new SettingsCipher(KEY);

  it('answers v1:<iv>:<tag>:<data> in base64url that decrypts to the value, different each time', () => {
    const a = cipher.encrypt('conn-1', 'apiToken', 'top-secret-value');
    const b = cipher.encrypt('conn-1', 'apiToken', 'top-secret-value');
    expect(a).toMatch(/^v1:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('top-secret');
    expect(cipher.decrypt('conn-1', 'apiToken', a)).toBe('top-secret-value');
    expect(cipher.decrypt('conn-1', 'apiToken', cipher.encrypt('conn-1', 'apiToken', { nested: [1, true] }))).toEqual({ nested: [1, true] });
  });

  it('refuses another instance key, another connection or setting, and altered text, naming the setting', () => {
    const stored = cipher.encrypt('conn-1', 'apiToken', 'top-secret-value');
    expect(() => new SettingsCipher(`${KEY}-rotated`).decrypt('conn-1', 'apiToken', stored)).toThrow(SettingsDecryptionError);
    expect(() => cipher.decrypt('conn-2', 'apiToken', stored)).toThrow(/settings.apiToken of channel connection conn-2/);
    expect(() => cipher.decrypt('conn-1', 'sessionSecret', stored)).toThrow(SettingsDecryptionError);
    const parts = stored.split(':');
    const flipped = [...parts.slice(0, 3), (parts[3][0] === 'A' ? 'B' : 'A') + parts[3].slice(1)].join(':');
    expect(() => cipher.decrypt('conn-1', 'apiToken', flipped)).toThrow(SettingsDecryptionError);
    expect(() => cipher.decrypt('conn-1', 'apiToken', 'top-secret-value')).toThrow(SettingsDecryptionError);
    expect(() => cipher.decrypt('conn-1', 'apiToken', 42)).toThrow(SettingsDecryptionError);
  });

  it('does not use the instance secret itself as the key (HKDF with its own label)', () => {
    const { createCipheriv } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const raw = Buffer.alloc(32);
    Buffer.from(KEY).copy(raw);
    const iv = Buffer.alloc(12);
    const direct = createCipheriv('aes-256-gcm', raw, iv);
    direct.setAAD(Buffer.from('conn-1\u0000apiToken'));
    const data = Buffer.concat([direct.update(JSON.stringify('x')), direct.final()]);
    const forged = ['v1', iv.toString('base64url'), direct.getAuthTag().toString('base64url'), data.toString('base64url')].join(':');
    expect(() => cipher.decrypt('conn-1', 'apiToken', forged)).toThrow(SettingsDecryptionError);
  });
});

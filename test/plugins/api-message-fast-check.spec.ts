import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { plainValidMessage } from '../../src/plugins/api/api-channel.plugin';
import { ApiMessageDto, PartyDto } from '../../src/plugins/api/api-message.dto';

/**
 * The API channel checks plainly valid bodies without class-validator. That shortcut may only
 * accept what class-validator accepts, and must hand over the same DTO plainToInstance builds.
 */
describe('API channel: the plain-body shortcut agrees with class-validator', () => {
  const valid = { externalThreadId: 't-1', externalMessageId: 'm-1', from: { address: 'jane@example.org', name: 'Jane' }, text: 'Hi' };

  async function classValidatorAccepts(body: object): Promise<boolean> {
    return (await validate(plainToInstance(ApiMessageDto, body), { whitelist: true, forbidNonWhitelisted: true })).length === 0;
  }

  const x = (n: number) => 'x'.repeat(n);
  const cases: Array<[string, Record<string, unknown>]> = [
    ['minimal', valid],
    [
      'every field',
      {
        ...valid,
        to: [{ address: 'team@example.com' }, { address: 'b@example.com', name: 'B' }],
        subject: 'Order',
        html: '<p>Hi</p>',
        receivedAt: '2026-11-24T10:00:00.123Z',
      },
    ],
    ['offset receivedAt', { ...valid, receivedAt: '2026-11-24T10:00+01:00' }],
    ['empty to', { ...valid, to: [] }],
    ['empty text and subject', { ...valid, text: '', subject: '' }],
    ['at the length limits', { ...valid, externalThreadId: x(500), externalMessageId: x(500), from: { address: x(320), name: x(200) }, subject: x(998) }],
    ['astral characters near a limit', { ...valid, externalThreadId: '😀'.repeat(250) }],
    ['astral characters past a limit in UTF-16 units', { ...valid, externalThreadId: '😀'.repeat(251) }],
    ['over a limit', { ...valid, externalThreadId: x(501) }],
    ['address over its limit', { ...valid, from: { address: x(321) } }],
    ['blank thread id', { ...valid, externalThreadId: '  ' }],
    ['number thread id', { ...valid, externalThreadId: 42 }],
    ['missing text', { externalThreadId: 't', externalMessageId: 'm', from: { address: 'a@b' } }],
    ['from is a string', { ...valid, from: 'jane@example.org' }],
    ['from is an array', { ...valid, from: [{ address: 'a@b' }] }],
    ['from without address', { ...valid, from: { name: 'Jane' } }],
    ['from with an extra field', { ...valid, from: { address: 'a@b', phone: '1' } }],
    ['null name', { ...valid, from: { address: 'a@b', name: null } }],
    ['null subject', { ...valid, subject: null }],
    ['null to', { ...valid, to: null }],
    ['to with a string', { ...valid, to: ['a@b'] }],
    ['to too long', { ...valid, to: Array.from({ length: 101 }, () => ({ address: 'a@b' })) }],
    ['to at its limit', { ...valid, to: Array.from({ length: 100 }, () => ({ address: 'a@b' })) }],
    ['unknown field', { ...valid, surprise: true }],
    ['bad receivedAt', { ...valid, receivedAt: '2026-11-24 10:00' }],
    ['receivedAt without zone', { ...valid, receivedAt: '2026-11-24T10:00:00' }],
    ['numeric receivedAt', { ...valid, receivedAt: 1764000000000 }],
    ['inboxId', { ...valid, inboxId: '6f1c2a4e-8b0d-4b8e-9a57-3d2f6c1e9b70' }],
    ['bad inboxId', { ...valid, inboxId: 'inbox-1' }],
    ['html as an object', { ...valid, html: { a: 1 } }],
  ];

  it.each(cases)('%s', async (_name, body) => {
    const shortcut = plainValidMessage(body);
    if (shortcut === null) return; // class-validator decides, as before
    expect(await classValidatorAccepts(body)).toBe(true);
    const reference = plainToInstance(ApiMessageDto, body);
    expect(shortcut).toBeInstanceOf(ApiMessageDto);
    expect(shortcut.from).toBeInstanceOf(PartyDto);
    for (const party of shortcut.to ?? []) expect(party).toBeInstanceOf(PartyDto);
    expect(JSON.stringify(shortcut)).toBe(JSON.stringify(reference));
    expect(shortcut).toEqual(reference);
  });

  it('takes the shortcut for the ordinary valid bodies', () => {
    expect(plainValidMessage(cases[0][1])).not.toBeNull();
    expect(plainValidMessage(cases[1][1])).not.toBeNull();
    expect(plainValidMessage(cases[5][1])).not.toBeNull();
  });
});

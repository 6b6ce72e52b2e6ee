/** Who caused an event. Travels in event metadata, never inside event data. */
export type Actor = { type: 'agent'; id: string } | { type: 'system' } | { type: 'bot' } | { type: 'contact'; address: string };

export const systemActor: Actor = { type: 'system' };
export const botActor: Actor = { type: 'bot' };
export const agentActor = (id: string): Actor => ({ type: 'agent', id });
export const contactActor = (address: string): Actor => ({ type: 'contact', address });

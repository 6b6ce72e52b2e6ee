/** One stream per (inbox, sender address): whether that sender is blocked (rule 5). */
export type SenderPolicyEvent = SenderBlocked | SenderUnblocked;

export interface SenderBlocked {
  type: 'SenderBlocked';
  data: { inboxId: string; address: string; conversationId: string | null };
}

export interface SenderUnblocked {
  type: 'SenderUnblocked';
  data: { inboxId: string; address: string };
}

export type SenderPolicyCommand = BlockSenderAddress | UnblockSenderAddress;

export interface BlockSenderAddress {
  type: 'BlockSenderAddress';
  data: { inboxId: string; address: string; conversationId: string | null };
}

export interface UnblockSenderAddress {
  type: 'UnblockSenderAddress';
  data: { inboxId: string; address: string };
}

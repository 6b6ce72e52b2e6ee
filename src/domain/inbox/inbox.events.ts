/** A team inbox: where conversations land, and which agents may work them (rule 15). */
export type InboxEvent = InboxCreated | InboxUpdated | InboxMembersSet;

export interface InboxCreated {
  type: 'InboxCreated';
  data: { inboxId: string; name: string; emailAddress: string | null; isDefault: boolean };
}

export interface InboxUpdated {
  type: 'InboxUpdated';
  data: { name?: string; emailAddress?: string | null };
}

export interface InboxMembersSet {
  type: 'InboxMembersSet';
  data: { agentIds: string[] };
}

export type InboxCommand = CreateInbox | UpdateInbox | SetInboxMembers;

export interface CreateInbox {
  type: 'CreateInbox';
  data: { inboxId: string; name: string; emailAddress: string | null; isDefault: boolean; memberIds: string[] };
}

export interface UpdateInbox {
  type: 'UpdateInbox';
  data: { name?: string; emailAddress?: string | null };
}

export interface SetInboxMembers {
  type: 'SetInboxMembers';
  data: { agentIds: string[] };
}

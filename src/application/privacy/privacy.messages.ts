import { Command, Query } from '@nestjs/cqrs';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';

/** Privacy requests about a contact (docs/privacy.md): admins only. */

/** `GET /api/contacts/:id/export`: everything Parley holds about the contact, as one JSON document. */
export class ExportContactQuery extends Query<Record<string, unknown>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly contactId: string,
  ) {
    super();
  }
}

export interface ErasureResult {
  contactId: string;
  erased: true;
  conversations: number;
  tickets: number;
}

/** `POST /api/contacts/:id/erase`: destroys the contact's keys and scrubs the read models; the hash chain stays verifiable. */
export class EraseContactCommand extends Command<ErasureResult> {
  constructor(
    readonly contactId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

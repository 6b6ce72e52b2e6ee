import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import {
  CreateContactCommand,
  GetContactQuery,
  GetContactTimelineQuery,
  LinkConversationContactCommand,
  MergeContactsCommand,
  SearchContactsQuery,
  SplitContactIdentityCommand,
  UpdateContactCommand,
  type ContactView,
} from '../../../application/contacts/contact.messages';
import { CurrentAgent } from '../auth/auth.decorators';
import {
  ContactInputDto,
  ContactPage,
  ContactSearchQueryDto,
  ContactTimelineEntryView,
  ContactViewDto,
  LinkContactDto,
  MergeContactDto,
  SplitContactDto,
} from '../dto/contacts.dto';
import { CommandResult } from '../dto/responses.dto';
import { etagOf, parseIfMatch } from '../if-match';
import { uuidParam } from './params';

const IfMatch = (what: string) =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: `The revision the change expects, \`"<revision>"\` (the ETag): 409 when the ${what} changed meanwhile.`,
  });

/**
 * Contacts (docs/contacts.md): the people behind conversations, across channels and inboxes. A
 * contact whose inboxes the agent cannot reach answers as an unknown one; a merged contact answers
 * the one it went into.
 */
@ApiTags('Contacts')
@Controller('api/contacts')
export class ContactsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Find contacts', description: 'By words of the name, an email address or a phone number; newest activity first.' })
  @ApiOkResponse({ type: ContactPage })
  @Get()
  search(@Query() query: ContactSearchQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new SearchContactsQuery(agent, query));
  }

  @ApiOperation({ summary: 'Create a contact', description: 'Needs a name, an email address or a phone number.' })
  @ApiCreatedResponse({ type: ContactViewDto })
  @Post()
  async create(@Body() body: ContactInputDto, @CurrentAgent() agent: AuthenticatedAgent, @Res({ passthrough: true }) reply: FastifyReply) {
    return withEtag(reply, await this.commandBus.execute(new CreateContactCommand(body, agentContext(agent))));
  }

  @ApiOperation({ summary: 'A contact with its company, conversations and tickets', description: 'Answers an ETag (the revision).' })
  @ApiOkResponse({ type: ContactViewDto })
  @Get(':id')
  async get(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent, @Res({ passthrough: true }) reply: FastifyReply) {
    return withEtag(reply, await this.queryBus.execute(new GetContactQuery(agent, id)));
  }

  @ApiOperation({ summary: 'Change a contact', description: 'Only the fields given change; `emails` and `phones` replace those lists.' })
  @IfMatch('contact')
  @ApiOkResponse({ type: ContactViewDto })
  @Patch(':id')
  async update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ContactInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return withEtag(reply, await this.commandBus.execute(new UpdateContactCommand(id, body, this.ctx(agent, ifMatch))));
  }

  @ApiOperation({
    summary: 'Merge this contact into another',
    description: 'Answers the contact that remains, holding both identities, conversations and tickets.',
  })
  @IfMatch('contact merged away')
  @ApiOkResponse({ type: ContactViewDto })
  @Post(':id/merge')
  @HttpCode(200)
  merge(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: MergeContactDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new MergeContactsCommand(id, body.intoContactId.toLowerCase(), this.ctx(agent, ifMatch)));
  }

  @ApiOperation({ summary: 'Split an identity off into a new contact', description: 'Answers the new contact; its conversations follow the identity.' })
  @IfMatch('contact')
  @ApiCreatedResponse({ type: ContactViewDto })
  @Post(':id/split')
  split(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: SplitContactDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new SplitContactIdentityCommand(id, body.identity, this.ctx(agent, ifMatch)));
  }

  @ApiOperation({ summary: "A contact's timeline", description: 'What happened to the record, its conversations and tickets, newest first, with who did it.' })
  @ApiOkResponse({ type: [ContactTimelineEntryView] })
  @Get(':id/timeline')
  timeline(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetContactTimelineQuery(agent, id));
  }

  private ctx(agent: AuthenticatedAgent, ifMatch: string | undefined) {
    return agentContext(agent, { expectedRevision: parseIfMatch(ifMatch) });
  }
}

/** `PUT /api/conversations/:id/contact`: beside the conversation commands, answered like them. */
@ApiTags('Conversations')
@Controller('api/conversations')
export class ConversationContactController {
  constructor(private readonly commandBus: CommandBus) {}

  @ApiOperation({ summary: "Change the conversation's contact", description: 'Rule 10: the contact can be changed, the ticket cannot.' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The conversation revision the command expects (the ETag): 409 when it changed meanwhile.' })
  @ApiOkResponse({ type: CommandResult })
  @Put(':id/contact')
  link(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: LinkContactDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(
      new LinkConversationContactCommand(id, body.contactId.toLowerCase(), agentContext(agent, { expectedRevision: parseIfMatch(ifMatch) })),
    );
  }
}

function withEtag(reply: FastifyReply, contact: ContactView): ContactView {
  void reply.header('ETag', etagOf(contact.revision));
  return contact;
}

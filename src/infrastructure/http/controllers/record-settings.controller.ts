import { BadRequestException, Body, Controller, Delete, Get, Param, Patch, Post, Put, type PipeTransform } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import {
  ArchivePropertyCommand,
  ChangePropertyCommand,
  ChooseCardPropertiesCommand,
  DefinePropertyCommand,
  GetRecordSettingsQuery,
  SetFreeMailDomainsCommand,
} from '../../../application/contacts/contact.messages';
import { RECORD_OBJECTS } from '../../../domain/record-settings/record-properties';
import { CurrentAgent } from '../auth/auth.decorators';
import { CardPropertiesDto, ChangePropertyDto, DefinePropertyDto, FreeMailDomainsDto, RecordSettingsView } from '../dto/contacts.dto';

const oneOf = <T extends string>(name: string, allowed: readonly T[]): PipeTransform<string, T> => ({
  transform(value: string): T {
    if (!(allowed as readonly string[]).includes(value))
      throw new BadRequestException(`${name}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
    return value as T;
  },
});

/**
 * The record settings (docs/contacts.md "Properties"): custom properties of contacts, companies and
 * tickets, what the sidebar cards show, the free-mail domains. Every agent reads them; admins change them.
 */
@ApiTags('Record settings')
@Controller('api/record-settings')
export class RecordSettingsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({ summary: 'The record settings' })
  @ApiOkResponse({ type: RecordSettingsView })
  @Get()
  get(@CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetRecordSettingsQuery(agent));
  }

  @ApiOperation({ summary: 'Define a custom property (admins)' })
  @ApiCreatedResponse({ type: RecordSettingsView })
  @Post('properties')
  define(@Body() body: DefinePropertyDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const { object, key, label, type, options } = body;
    return this.commandBus.execute(new DefinePropertyCommand({ object, key, label, type, ...(options === undefined ? {} : { options }) }, agentContext(agent)));
  }

  @ApiOperation({ summary: "Relabel a custom property or change a choice's options (admins)" })
  @ApiOkResponse({ type: RecordSettingsView })
  @Patch('properties/:object/:key')
  change(
    @Param('object', oneOf('object', RECORD_OBJECTS)) object: 'contact' | 'company' | 'ticket',
    @Param('key') key: string,
    @Body() body: ChangePropertyDto,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new ChangePropertyCommand(object, key, { label: body.label, options: body.options }, agentContext(agent)));
  }

  @ApiOperation({ summary: 'Archive a custom property (admins)', description: 'No longer offered or shown; its key is never reused.' })
  @ApiOkResponse({ type: RecordSettingsView })
  @Delete('properties/:object/:key')
  archive(
    @Param('object', oneOf('object', RECORD_OBJECTS)) object: 'contact' | 'company' | 'ticket',
    @Param('key') key: string,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new ArchivePropertyCommand(object, key, agentContext(agent)));
  }

  @ApiOperation({ summary: 'Choose what the contact or ticket card shows (admins)' })
  @ApiOkResponse({ type: RecordSettingsView })
  @Put('card-properties/:object')
  card(
    @Param('object', oneOf('object', ['contact', 'ticket'] as const)) object: 'contact' | 'ticket',
    @Body() body: CardPropertiesDto,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new ChooseCardPropertiesCommand(object, body.keys, agentContext(agent)));
  }

  @ApiOperation({ summary: 'Set the free-mail domains (admins)', description: 'An address at one of these never makes or joins a company.' })
  @ApiOkResponse({ type: RecordSettingsView })
  @Put('free-mail-domains')
  freeMail(@Body() body: FreeMailDomainsDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new SetFreeMailDomainsCommand(body.domains, agentContext(agent)));
  }
}

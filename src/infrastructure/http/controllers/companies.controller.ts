import { Body, Controller, Get, Headers, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { CreateCompanyCommand, GetCompanyQuery, SearchCompaniesQuery, UpdateCompanyCommand } from '../../../application/contacts/contact.messages';
import { CurrentAgent } from '../auth/auth.decorators';
import { CompanyInputDto, CompanyPage, CompanySearchQueryDto, CompanyViewDto } from '../dto/contacts.dto';
import { parseIfMatch } from '../if-match';
import { uuidParam } from './params';

/** Companies (docs/contacts.md): account-wide, made by hand or found by a contact's email domain. */
@ApiTags('Contacts')
@Controller('api/companies')
export class CompaniesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Find companies', description: 'By words of the name or the domain.' })
  @ApiOkResponse({ type: CompanyPage })
  @Get()
  search(@Query() query: CompanySearchQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new SearchCompaniesQuery(agent, query));
  }

  @ApiOperation({ summary: 'Create a company' })
  @ApiCreatedResponse({ type: CompanyViewDto })
  @Post()
  create(@Body() body: CompanyInputDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new CreateCompanyCommand(body, agentContext(agent)));
  }

  @ApiOperation({ summary: 'A company with its contacts, conversations and tickets you can reach' })
  @ApiOkResponse({ type: CompanyViewDto })
  @Get(':id')
  get(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetCompanyQuery(agent, id));
  }

  @ApiOperation({ summary: 'Change a company', description: 'Only the fields given change.' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The revision the change expects (`"<revision>"`): 409 when the company changed meanwhile.' })
  @ApiOkResponse({ type: CompanyViewDto })
  @Patch(':id')
  update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: CompanyInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new UpdateCompanyCommand(id, body, agentContext(agent, { expectedRevision: parseIfMatch(ifMatch) })));
  }
}

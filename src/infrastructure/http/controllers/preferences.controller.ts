import { Body, Controller, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SetPreferencesCommand } from '../../../application/agents/agent-commands.handler';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { CurrentAgent } from '../auth/auth.decorators';
import { PreferencesDto } from '../dto/preferences.dto';

/** The caller's own UI language and time zone (the web UI's settings page sets the same). */
@ApiTags('Agents')
@Controller('api')
export class PreferencesController {
  constructor(private readonly commandBus: CommandBus) {}

  @ApiOperation({
    summary: "Set the caller's language and time zone",
    description: "language: en or nl; timeZone: an IANA zone. A field left out stays; null clears it, so the browser's language and zone apply again.",
  })
  @ApiOkResponse({ description: '`{ language, timeZone }` as saved' })
  @Put('me/preferences')
  setPreferences(@Body() body: PreferencesDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new SetPreferencesCommand({ language: body.language, timeZone: body.timeZone }, agentContext(agent)));
  }
}

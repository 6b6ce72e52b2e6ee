import { Controller, Get, Inject } from '@nestjs/common';
import { Public } from '../auth/auth.decorators';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthResponse } from '../dto/responses.dto';

export const READINESS = Symbol('READINESS');

export interface Readiness {
  /** Position of the event log that every projection has applied. */
  projectedPosition(): number;
}

@ApiTags('Health')
@Controller()
export class HealthController {
  constructor(@Inject(READINESS) private readonly readiness: Readiness) {}

  @Public()
  @ApiOperation({ summary: 'Readiness' })
  @ApiOkResponse({ type: HealthResponse })
  @Get('health')
  health() {
    return { status: 'ok', projectedPosition: this.readiness.projectedPosition() };
  }
}

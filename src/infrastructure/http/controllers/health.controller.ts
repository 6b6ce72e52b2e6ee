import { Controller, Get, Inject } from '@nestjs/common';
import { Public } from '../auth/auth.decorators';

export const READINESS = Symbol('READINESS');

export interface Readiness {
  /** Position of the event log that every projection has applied. */
  projectedPosition(): number;
}

@Controller()
export class HealthController {
  constructor(@Inject(READINESS) private readonly readiness: Readiness) {}

  @Public()
  @Get('health')
  health() {
    return { status: 'ok', projectedPosition: this.readiness.projectedPosition() };
  }
}

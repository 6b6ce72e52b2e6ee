import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, NotFoundException, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../http/auth/auth.decorators';
import type { MetricsConfig } from '../config/config';
import { ParleyMetrics } from './parley-metrics';

export const METRICS_ACCESS = Symbol('METRICS_ACCESS');

/**
 * GET /metrics for Prometheus. No agent session (a scraper has none): PARLEY_METRICS decides who
 * may read it, anyone (`on`), no one (`off`: 404, as if there were no such route) or whoever sends
 * the PARLEY_METRICS_TOKEN as a Bearer token (`token`).
 */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: ParleyMetrics,
    @Inject(METRICS_ACCESS) private readonly access: MetricsConfig,
  ) {}

  @Public()
  @Get('metrics')
  async scrape(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.access.mode === 'off') throw new NotFoundException('Cannot GET /metrics: metrics are off (PARLEY_METRICS=off)');
    if (this.access.mode === 'token' && !bearerMatches(request.headers.authorization, this.access.token)) {
      void reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException('metrics need "Authorization: Bearer <PARLEY_METRICS_TOKEN>"');
    }
    const { contentType, body } = await this.metrics.scrape();
    void reply.header('Content-Type', contentType).header('Cache-Control', 'no-store');
    return body;
  }
}

/** Compares digests, so neither the token's content nor its length shows in the time taken. */
function bearerMatches(header: string | string[] | undefined, token: string): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  const given = value?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}

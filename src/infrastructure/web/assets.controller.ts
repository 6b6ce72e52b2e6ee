import { Controller, Get, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../http/auth/auth.decorators';
import { WebRenderer } from './web-renderer';

const YEAR_SECONDS = 365 * 24 * 3600;

/** `/assets/<name>?v=<hash>`: the UI's CSS and JS, and htmx from its npm package. */
@Controller('assets')
export class AssetsController {
  constructor(private readonly renderer: WebRenderer) {}

  @Public()
  @Get(':name')
  serve(@Param('name') name: string, @Query('v') version: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const asset = this.renderer.assets.get(name);
    if (!asset) throw new NotFoundException(`asset ${name} not found`);
    const etag = `"${asset.version}"`;
    // Versioned URLs never change content: cache for a year. Unversioned: revalidate.
    void reply.header('Cache-Control', version === asset.version ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache').header('ETag', etag);
    if (request.headers['if-none-match'] === etag) return void reply.status(304).send();
    void reply.type(asset.contentType).send(asset.body);
  }
}

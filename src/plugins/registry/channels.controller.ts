import { Controller, Get } from '@nestjs/common';
import { PluginRegistry, type ChannelInfo } from './plugin-registry';

/** GET /api/channels: the registered channels with their name, icon and capabilities (for the UI). */
@Controller('api/channels')
export class ChannelsController {
  constructor(private readonly registry: PluginRegistry) {}

  @Get()
  list(): { channels: ChannelInfo[] } {
    return { channels: this.registry.channels() };
  }
}

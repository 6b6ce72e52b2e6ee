import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** `POST /api/inboxes/:id/channels`. */
export class ConnectChannelDto {
  @IsString({ message: 'type must be a string: the id of a channel plugin that connects to inboxes, e.g. "chat"' })
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'type must be a channel plugin id (lower-case letters, digits and dashes), e.g. "chat"' })
  @ApiProperty({ type: String, description: 'The channel plugin id (see `GET /api/channels`, `connectable: true`).', example: 'chat' })
  type: string;

  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String, description: "Shown in Inbox settings. Default: the channel's name.", example: 'Website chat' })
  name?: string;

  @IsOptional()
  @IsObject({ message: 'settings must be an object of the channel\'s settings, e.g. {"allowedOrigins":["https://example.com"]}' })
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "The channel's own settings; the plugin checks them and names the field that is wrong.",
    example: { allowedOrigins: ['https://www.example.com'] },
  })
  settings?: Record<string, unknown>;
}

/** `PATCH /api/inboxes/:id/channels/:connectionId`: settings merge over the stored ones. */
export class ChangeChannelConnectionDto {
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String })
  name?: string;

  @IsOptional()
  @IsObject({ message: 'settings must be an object of the channel\'s settings, e.g. {"greeting":"Hi!"}' })
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Merged over the stored settings. A secret left out, or sent back as "••••", keeps its stored value.',
  })
  settings?: Record<string, unknown>;
}

export class ChannelConnectionSecretView {
  @ApiProperty({ type: Boolean, description: 'A value is stored (it is never answered).' })
  hasSecret: boolean;
}

export class ChannelConnectionView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;

  @ApiProperty({ type: String, description: 'The channel plugin id.', example: 'chat' })
  type: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The settings; each stored secret reads "••••".' })
  settings: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ChannelConnectionSecretView' },
    description: 'Every secret setting the channel declares, by name, and whether a value is stored.',
    example: { identityVerificationSecret: { hasSecret: true } },
  })
  secrets: Record<string, ChannelConnectionSecretView>;

  @ApiProperty({ type: String, enum: ['active', 'unavailable'], description: '`unavailable`: its channel plugin is not loaded.' })
  status: 'active' | 'unavailable';

  @ApiPropertyOptional({ type: String, description: 'The HTML to paste into a website (chat: one script tag).' })
  embedSnippet?: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The admin who connected it.' })
  createdBy: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
}

export class ChannelConnectionList {
  @ApiProperty({ type: () => [ChannelConnectionView] })
  channels: ChannelConnectionView[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';
import { NOTIFICATION_TYPES, type NotificationType } from '../../../domain/agent/agent.events';
import { MAX_READ_IDS } from '../../../domain/notification/notification.decider';
import { IsOptionalNotNull } from './validators';

export class NotificationView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String, enum: NOTIFICATION_TYPES })
  type: NotificationType;
  @ApiProperty({ type: String, format: 'uuid' })
  conversationId: string;
  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;
  @ApiProperty({ type: Boolean })
  read: boolean;
  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
  @ApiProperty({ type: String, description: "What happened, in the caller's language (e.g. `Ann mentioned you in “Refund”`)." })
  text: string;
}

export class NotificationList {
  @ApiProperty({ type: [NotificationView], description: 'Newest first, at most 50.' })
  items: NotificationView[];
  @ApiProperty({ type: Number, description: 'How many of all your notifications are unread.' })
  unread: number;
}

export class MarkNotificationsReadDto {
  @IsOptionalNotNull()
  @IsArray({ message: 'ids must be a list of notification ids' })
  @ArrayMinSize(1, { message: 'ids must name at least one notification' })
  @ArrayMaxSize(MAX_READ_IDS, { message: `ids may name at most ${MAX_READ_IDS} notifications` })
  @IsString({ each: true, message: 'ids must be a list of notification ids' })
  @MaxLength(64, { each: true, message: 'each id must be a notification id' })
  @ApiPropertyOptional({ type: [String], description: 'The notifications to mark read.' })
  ids?: string[];

  @IsOptionalNotNull()
  @IsBoolean({ message: 'all must be true or false' })
  @ApiPropertyOptional({ type: Boolean, description: 'true: mark every unread notification read (instead of ids).' })
  all?: boolean;
}

export class NotificationSwitchesDto {
  @IsOptionalNotNull()
  @IsBoolean({ message: 'inApp must be true or false' })
  @ApiPropertyOptional({ type: Boolean, description: 'Shown in the notification centre (the bell).' })
  inApp?: boolean;

  @IsOptionalNotNull()
  @IsBoolean({ message: 'email must be true or false' })
  @ApiPropertyOptional({ type: Boolean, description: "Emailed to the agent's address." })
  email?: boolean;
}

/** Per type, the switches to change; types and switches left out stay as they are. */
export class NotificationSettingsDto {
  @IsOptionalNotNull()
  @IsObject({ message: 'mention must be an object such as {"inApp": true, "email": false}' })
  @ValidateNested()
  @Type(() => NotificationSwitchesDto)
  @ApiPropertyOptional({ type: NotificationSwitchesDto, description: 'An @mention in a comment.' })
  mention?: NotificationSwitchesDto;

  @IsOptionalNotNull()
  @IsObject({ message: 'assigned must be an object such as {"inApp": true, "email": false}' })
  @ValidateNested()
  @Type(() => NotificationSwitchesDto)
  @ApiPropertyOptional({ type: NotificationSwitchesDto, description: 'A conversation assigned to you by someone else or by auto-assignment.' })
  assigned?: NotificationSwitchesDto;

  @IsOptionalNotNull()
  @IsObject({ message: 'handoff must be an object such as {"inApp": true, "email": false}' })
  @ValidateNested()
  @Type(() => NotificationSwitchesDto)
  @ApiPropertyOptional({ type: NotificationSwitchesDto, description: 'A bot handing a conversation over to you.' })
  handoff?: NotificationSwitchesDto;

  @IsOptionalNotNull()
  @IsObject({ message: 'new-message must be an object such as {"inApp": true, "email": false}' })
  @ValidateNested()
  @Type(() => NotificationSwitchesDto)
  @ApiPropertyOptional({ type: NotificationSwitchesDto, description: 'A new message from the contact in a conversation you own.' })
  'new-message'?: NotificationSwitchesDto;
}

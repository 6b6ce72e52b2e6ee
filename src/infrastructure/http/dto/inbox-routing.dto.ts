import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_CAPACITY, ROUTING_MODES, WEEKDAYS, type OpeningInterval, type RoutingMode, type Weekday } from '../../../domain/inbox/inbox.events';

/**
 * `PUT /api/inboxes/:id/routing`: the inbox's auto-assignment, whole. The shapes are checked here;
 * the inbox itself checks what needs its rules (channel ids, capacities per agent) and names the entry.
 */
export class InboxRoutingDto {
  @IsIn(ROUTING_MODES)
  @ApiProperty({
    enum: ROUTING_MODES,
    description: 'off: nobody is handed anything; round-robin: in turn; balanced: to whoever has the fewest open conversations.',
  })
  mode: RoutingMode;

  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @ApiProperty({ type: [String], description: 'The channels auto-assignment hands out (see `GET /api/channels`); empty: every channel.', example: ['chat'] })
  channels: string[];

  @IsInt()
  @Min(0)
  @Max(MAX_CAPACITY)
  @ApiProperty({
    type: Number,
    minimum: 0,
    maximum: MAX_CAPACITY,
    description: 'Most open conversations an agent holds in this inbox before auto-assignment skips them.',
    example: 5,
  })
  defaultCapacity: number;

  @IsObject()
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0, maximum: MAX_CAPACITY },
    description: 'Per agent id, a capacity overriding defaultCapacity (0: never auto-assigned in this inbox).',
    example: {},
  })
  capacities: Record<string, number>;
}

/** `PUT /api/inboxes/:id/business-hours`: the inbox's opening hours, whole. */
export class InboxBusinessHoursDto {
  @IsBoolean()
  @ApiProperty({ type: Boolean, description: 'false: always open (the week is kept but not applied).' })
  enabled: boolean;

  @IsString()
  @MaxLength(100)
  @ApiProperty({ type: String, description: 'An IANA time zone; the week is in its wall-clock time.', example: 'Europe/Amsterdam' })
  timeZone: string;

  @IsObject()
  @ApiProperty({
    type: 'object',
    additionalProperties: {
      type: 'array',
      items: { type: 'object', properties: { from: { type: 'string', example: '09:00' }, to: { type: 'string', example: '17:00' } } },
    },
    description: `Per weekday (${WEEKDAYS.join(', ')}), its opening intervals as {"from": "09:00", "to": "17:00"}; "24:00" is midnight at the end of the day; none: closed that day.`,
    example: { mon: [{ from: '09:00', to: '17:00' }], tue: [], wed: [], thu: [], fri: [{ from: '09:00', to: '12:00' }], sat: [], sun: [] },
  })
  week: Record<Weekday, OpeningInterval[]>;
}

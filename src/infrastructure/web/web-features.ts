import { Injectable } from '@nestjs/common';

/**
 * Controls that depend on channels other engineers are building. A control whose command is not
 * there yet is shown disabled with the reason, never as a button that fails. Compose and forward
 * go through the email channel's commands; a transcript needs the chat channel, not built yet.
 */
@Injectable()
export class WebFeatures {
  flags() {
    return {
      compose: true,
      forward: true,
      transcript: false,
      transcriptReason: 'Coming soon: transcripts are sent by the chat channel, which is not built yet',
      forwardReason: 'Only email conversations can be forwarded',
    };
  }
}

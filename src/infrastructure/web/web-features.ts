import { Injectable } from '@nestjs/common';

/**
 * Conversation actions that depend on a channel. Forward needs an email conversation (rule 13);
 * a transcript is sent by the chat channel, which is not built yet, so that control is shown
 * disabled with the reason (a translated text of the template), never as a button that fails.
 */
@Injectable()
export class WebFeatures {
  flags() {
    return {
      transcript: false,
    };
  }
}

import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { SlackMessage } from '../render/format.ts';
import { fitToSlack } from '../render/untrusted.ts';

/** Answers only the person who clicked, leaving the message they clicked in as it is. */
export const ephemeral = (respond: RespondFn, message: SlackMessage) =>
  respond(
    fitToSlack<RespondArguments>({
      response_type: 'ephemeral',
      replace_original: false,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
    }),
  );

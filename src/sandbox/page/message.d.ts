// Types for message.js (plain browser JavaScript), so TypeScript tests can import it.
import type { RenderContext } from './mrkdwn.js';

export interface MessageContext extends RenderContext {
  bot?: { id: string; name: string };
}
export declare function tsToDate(ts: string): Date;
export declare function formatTime(ts: string, ctx?: MessageContext): string;
export declare function isBotMessage(message: any, ctx?: MessageContext): boolean;
export declare function authorName(message: any, ctx?: MessageContext): string;
export declare function renderMessage(
  message: any,
  ctx?: MessageContext,
  options?: { inThread?: boolean; root?: boolean },
): string;
export declare function renderEphemeral(ephemeral: any, ctx?: MessageContext): string;
export declare function compareTs(a: string | undefined, b: string | undefined): number;
export declare function interleave(
  messages: readonly any[] | undefined,
  ephemerals: readonly any[] | undefined,
): Array<{ kind: 'message' | 'ephemeral'; item: any }>;

// Types for mrkdwn.js (plain browser JavaScript), so TypeScript tests can import it.
export interface RenderContext {
  /** user ID → display name */
  users?: Record<string, string>;
  /** channel ID → channel name */
  channels?: Record<string, string>;
  /** for `<!date…>` "today"/"ago" */
  now?: Date;
  /** IANA zone for dates (default: the browser's) */
  timeZone?: string;
}
export declare function escapeHtml(value: unknown): string;
export declare function decodeEntities(value: unknown): string;
export declare function replaceEmoji(text: string): string;
export declare function plainText(text: string, emoji?: boolean): string;
export declare function safeUrl(url: unknown): string | undefined;
export declare function linkHtml(url: string, labelHtml: string): string;
export declare function userMentionHtml(id: string, ctx?: RenderContext, label?: string): string;
export declare function channelMentionHtml(id: string, ctx?: RenderContext, label?: string): string;
export declare function formatSlackDate(unix: number, format: string, ctx?: RenderContext): string | undefined;
export declare function mrkdwn(text: string | undefined | null, ctx?: RenderContext): string;
export declare function mrkdwnToPlain(text: string | undefined | null, ctx?: RenderContext): string;

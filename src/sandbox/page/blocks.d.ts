// Types for blocks.js (plain browser JavaScript), so TypeScript tests can import it.
import type { RenderContext } from './mrkdwn.js';

// Blocks arrive as JSON from the sandbox API; the renderer tolerates any shape.
export declare function textObject(text: any, ctx?: RenderContext): string;
export declare function buttonHtml(element: any, blockId?: string, ctx?: RenderContext): string;
export declare function selectHtml(element: any, blockId?: string, ctx?: RenderContext): string;
export declare function overflowHtml(element: any, blockId?: string): string;
export declare function elementHtml(element: any, blockId?: string, ctx?: RenderContext): string;
export declare function blockHtml(block: any, ctx?: RenderContext): string;
export declare function renderBlocks(
  blocks: readonly any[] | undefined,
  ctx?: RenderContext,
  fallbackText?: string,
): string;
export declare function attachmentColor(color: unknown): string | undefined;
export declare function renderAttachments(attachments: unknown, ctx?: RenderContext): string;
export declare function renderMessageBody(message: any, ctx?: RenderContext): string;

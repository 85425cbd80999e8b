// Types for emoji.js (plain browser JavaScript), so TypeScript tests can import it.
export declare const EMOJI: Readonly<Record<string, string>>;
export declare function emojiFor(name: string): string | undefined;

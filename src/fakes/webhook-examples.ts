import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';

/** A webhook event name without an action, e.g. `pull_request`. */
export type WebhookEventName = Exclude<EmitterWebhookEventName, `${string}.${string}`>;

/** The actions of an event, e.g. `review_requested` for `pull_request`. */
export type WebhookAction<TName extends WebhookEventName> = ActionOf<EmitterWebhookEventName, TName>;

type ActionOf<TEmitterName, TName extends string> = TEmitterName extends `${TName}.${infer TAction}` ? TAction : never;

/** The payload type @octokit/webhooks gives handlers of `name` (or `name.action`). */
export type WebhookExamplePayload<
  TName extends WebhookEventName,
  TAction extends WebhookAction<TName> | undefined,
> = TAction extends string
  ? `${TName}.${TAction}` extends EmitterWebhookEventName
    ? EmitterWebhookEvent<`${TName}.${TAction}`>['payload']
    : never
  : EmitterWebhookEvent<TName>['payload'];

interface ExampleDefinition {
  name: string;
  actions: string[];
  examples: Array<Record<string, unknown>>;
}

let definitions: ExampleDefinition[] | undefined;

// 4 MB of JSON: read once, on first use.
function loadDefinitions(): ExampleDefinition[] {
  if (!definitions) {
    const path = createRequire(import.meta.url).resolve('@octokit/webhooks-examples/api.github.com/index.json');
    definitions = JSON.parse(readFileSync(path, 'utf8')) as ExampleDefinition[];
  }
  return definitions;
}

/**
 * A deep copy of a real payload GitHub sent (from @octokit/webhooks-examples), safe to patch.
 * `variant` picks among several examples of the same event and action (the first match wins).
 */
export function webhookExample<
  TName extends WebhookEventName,
  TAction extends WebhookAction<TName> | undefined = undefined,
>(
  name: TName,
  action?: TAction,
  variant: (payload: WebhookExamplePayload<TName, TAction>) => boolean = () => true,
): WebhookExamplePayload<TName, TAction> {
  const definition = loadDefinitions().find((candidate) => candidate.name === name);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no ${name} event`);
  const example = definition.examples
    .map((payload) => payload as WebhookExamplePayload<TName, TAction>)
    .find(
      (payload) => (action === undefined || (payload as { action?: string }).action === action) && variant(payload),
    );
  if (!example) {
    const actions = definition.examples.map((payload) => String(payload.action ?? '(none)')).join(', ');
    const wanted = `action ${action ?? '(any)'} matching the variant`;
    throw new Error(`No ${name} example with ${wanted}; examples have: ${actions}`);
  }
  return structuredClone(example);
}

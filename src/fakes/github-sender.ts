import { randomUUID } from 'node:crypto';
import { githubWebhookHeaders } from './signing.ts';

export interface GitHubSenderOptions {
  /** The app's webhook URL, e.g. `http://127.0.0.1:3000/github/webhooks`. */
  appUrl: string;
  secret: string;
  hookId?: string | number;
}

export interface GitHubDeliveryResult {
  status: number;
  body: string;
  deliveryId: string;
}

/** Delivers webhooks to an app the way GitHub does: JSON, signed, with GitHub's headers. */
export class GitHubSender {
  readonly #appUrl: string;
  readonly #secret: string;
  readonly #hookId: string | number;

  constructor({ appUrl, secret, hookId = 1 }: GitHubSenderOptions) {
    this.#appUrl = appUrl;
    this.#secret = secret;
    this.#hookId = hookId;
  }

  /** A redelivery is a `deliver` with the same `deliveryId`, as GitHub keeps it. */
  async deliver(
    event: string,
    payload: unknown,
    { deliveryId = randomUUID(), hookId = this.#hookId }: { deliveryId?: string; hookId?: string | number } = {},
  ): Promise<GitHubDeliveryResult> {
    const body = JSON.stringify(payload);
    const headers = githubWebhookHeaders({ secret: this.#secret, event, deliveryId, body, hookId });
    const response = await this.send(body, headers);
    return { ...response, deliveryId };
  }

  /** Posts a raw body with exactly these headers (for forged, unsigned or malformed deliveries). */
  async send(rawBody: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const response = await fetch(this.#appUrl, { method: 'POST', headers, body: rawBody });
    return { status: response.status, body: await response.text() };
  }
}

/** Window around a deploy that its log link covers: from a little before it started to a little after it ended. */
const BEFORE_MS = 5 * 60_000;
const AFTER_MS = 15 * 60_000;

/**
 * Fills a service's `logs` template: {service} {env} {sha} {deploy_id} {from} {to}, each
 * URL-encoded ({from}/{to} as ISO-8601).
 */
export function logLink(
  template: string | undefined,
  values: { service: string; environment: string; sha?: string; deployId?: number; from: Date; to: Date },
): string | undefined {
  if (!template) return undefined;
  const fill: Record<string, string> = {
    service: values.service,
    env: values.environment,
    sha: values.sha ?? '',
    deploy_id: values.deployId === undefined ? '' : String(values.deployId),
    from: values.from.toISOString(),
    to: values.to.toISOString(),
  };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in fill ? encodeURIComponent(fill[key]) : whole));
}

export function deployLogLink(
  template: string | undefined,
  deploy: { service: string; environment: string; sha: string; id: number; createdAt: Date; finishedAt: Date | null },
  now: Date,
): string | undefined {
  return logLink(template, {
    service: deploy.service,
    environment: deploy.environment,
    sha: deploy.sha,
    deployId: deploy.id,
    from: new Date(deploy.createdAt.getTime() - BEFORE_MS),
    to: new Date((deploy.finishedAt ?? now).getTime() + AFTER_MS),
  });
}

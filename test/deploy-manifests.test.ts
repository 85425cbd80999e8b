import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config/index.ts';
import { parseDuration } from '../src/config/duration.ts';
import { readEnv, VARIABLE_NAMES } from '../src/env.ts';
import { closeServer, listenOnLoopback } from '../src/fakes/http.ts';
import { createHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { REPO_ROOT } from './helpers/built-app.ts';

// deploy/docker-compose.yml and deploy/kubernetes/ (README.md, "Running in production") checked
// against what tugboat reads and serves: an operator copying them gets a tugboat that starts,
// probes that hit real routes, ports that meet, and a grace period longer than tugboat's own.

type Manifest = Record<string, any>;
type EnvEntry = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };

const DEPLOY = path.join(REPO_ROOT, 'deploy');
/** What tugboat does after TUGBOAT_SHUTDOWN_GRACE: finishes other work in flight for up to 10 s (README.md). */
const AFTER_GRACE_SECONDS = 10;
/** Read by src/main.ts, not by readEnv: NODE_ENV=production keeps the sandbox from starting. */
const READ_BY_MAIN = ['NODE_ENV'];

const kubernetes: Manifest[] = readdirSync(path.join(DEPLOY, 'kubernetes'))
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(DEPLOY, 'kubernetes', file), 'utf8')).map((doc) => doc.toJS()),
  );
const kustomization = parseYaml(readFileSync(path.join(DEPLOY, 'kubernetes', 'kustomization.yaml'), 'utf8'));
const compose: Manifest = parseYaml(readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8'));

const ofKind = (kind: string) => kubernetes.filter((m) => m.kind === kind);
const one = (kind: string) => {
  expect(ofKind(kind), kind).toHaveLength(1);
  return ofKind(kind)[0];
};

const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const containerEnv: EnvEntry[] = container.env;

/** The container's variables, a Secret's values standing in for its references. */
function kubernetesVariables(): Record<string, string> {
  const secrets = new Map(ofKind('Secret').map((s) => [s.metadata.name, s.stringData as Record<string, string>]));
  return Object.fromEntries(
    containerEnv.map(({ name, value, valueFrom }) => {
      if (value !== undefined) return [name, value];
      const ref = valueFrom!.secretKeyRef;
      const secretValue = secrets.get(ref.name)?.[ref.key];
      expect(secretValue, `${name}: Secret ${ref.name} has no key ${ref.key}`).toBeDefined();
      return [name, secretValue!];
    }),
  );
}

/** The tugboat service's variables, `${NAME:?…}` (given by whoever runs compose) standing in as a placeholder. */
function composeVariables(): Record<string, string> {
  const environment: Record<string, string> = compose.services.tugboat.environment;
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      /^\$\{\w+:\?/.test(value) ? `placeholder-${name}` : value,
    ]),
  );
}

const portOf = (name: string) => container.ports.find((p: { name: string }) => p.name === name).containerPort;

describe('deploy/kubernetes', () => {
  it('lists every manifest in kustomization.yaml', () => {
    const files = readdirSync(path.join(DEPLOY, 'kubernetes')).filter((f) => f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('sets only variables tugboat reads, and tugboat starts with them', () => {
    const variables = kubernetesVariables();
    expect(Object.keys(variables).filter((name) => ![...VARIABLE_NAMES, ...READ_BY_MAIN].includes(name))).toEqual([]);
    const env = readEnv(variables);
    expect(env.databaseUrl, 'two replicas need PostgreSQL').toMatch(/^postgres:\/\//);
    expect(env.port).toBe(portOf('http'));
    expect(env.metricsPort).toBe(portOf('metrics'));
  });

  it('runs two replicas that a disruption takes at most one of, behind a Service on the http port', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const budget = one('PodDisruptionBudget');
    expect(budget.spec.selector.matchLabels).toEqual(labels);
    expect(budget.spec.minAvailable).toBe(1);
    const service = one('Service');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
  });

  it('waits longer than TUGBOAT_SHUTDOWN_GRACE plus the 10 s of other work before the kubelet kills a pod', () => {
    const graceSeconds = readEnv(kubernetesVariables()).shutdownGraceMs / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(graceSeconds + AFTER_GRACE_SECONDS);
  });

  it('mounts the ConfigMap where TUGBOAT_CONFIG points, holding a tugboat.yml tugboat accepts', () => {
    const configPath = readEnv(kubernetesVariables()).configPath;
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === path.dirname(configPath));
    expect(mount, `nothing is mounted at ${path.dirname(configPath)}`).toBeDefined();
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const configMap = ofKind('ConfigMap').find((c) => c.metadata.name === volume.configMap.name);
    const text = configMap?.data[path.basename(configPath)];
    expect(() => parseConfig(text, path.basename(configPath))).not.toThrow();
  });

  it('asks for memory and CPU, with a memory limit above the request', () => {
    const { requests, limits } = container.resources;
    expect(requests.cpu).toBeDefined();
    expect(mebibytes(limits.memory)).toBeGreaterThan(mebibytes(requests.memory));
  });
});

describe('deploy/docker-compose.yml', () => {
  const tugboat = compose.services.tugboat;

  it('sets only variables tugboat reads, and tugboat starts with them on the compose PostgreSQL', () => {
    const variables = composeVariables();
    expect(Object.keys(variables).filter((name) => ![...VARIABLE_NAMES, ...READ_BY_MAIN].includes(name))).toEqual([]);
    const env = readEnv(variables);
    const database = new URL(env.databaseUrl!);
    expect(Object.keys(compose.services)).toContain(database.hostname);
    expect(compose.services[database.hostname].environment.POSTGRES_DB).toBe(database.pathname.slice(1));
  });

  it('runs two replicas behind one published port that reaches tugboat on its PORT', () => {
    expect(tugboat.deploy.replicas).toBe(2);
    const services: Record<string, Manifest> = compose.services;
    const published = Object.entries(services).filter(([, service]) => service.ports);
    expect(published.map(([name]) => name)).toEqual(['proxy']);
    const nginx = readFileSync(path.join(DEPLOY, 'nginx.conf'), 'utf8');
    const listen = Number(/listen (\d+);/.exec(nginx)![1]);
    expect(published[0][1].ports).toEqual([expect.stringMatching(new RegExp(`:${listen}$`))]);
    expect(nginx).toContain(`http://tugboat:${readEnv(composeVariables()).port};`);
  });

  it('mounts a tugboat.yml where TUGBOAT_CONFIG points, and stops later than tugboat would', () => {
    const env = readEnv(composeVariables());
    expect(tugboat.volumes.map((v: string) => v.split(':')[1])).toContain(env.configPath);
    expect(parseDuration(tugboat.stop_grace_period) / 1000).toBeGreaterThan(
      env.shutdownGraceMs / 1000 + AFTER_GRACE_SECONDS,
    );
  });
});

describe('the probes', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const idle = async () => ({ depth: 0, oldestAgeSeconds: 0, pending: 0, oldestSeconds: 0 });
    const metrics = createMetrics({ locksHeld: async () => 0, webhookInbox: idle, slackOutbox: idle });
    const refuse = () => Promise.reject(new Error('not under test'));
    server = createHttpServer(
      { slack: refuse, github: refuse, deployCallback: refuse, ready: async () => true },
      { log: createLogger({ level: 'silent' }), metrics },
    );
    url = await listenOnLoopback(server);
  });
  afterAll(() => closeServer(server));

  it('are routes tugboat answers 200 on while it is up: readiness on /readyz, liveness and start-up on /healthz', async () => {
    const probes = {
      readiness: container.readinessProbe.httpGet,
      liveness: container.livenessProbe.httpGet,
      startup: container.startupProbe.httpGet,
    };
    expect(Object.fromEntries(Object.entries(probes).map(([kind, probe]) => [kind, probe.path]))).toEqual({
      readiness: '/readyz',
      liveness: '/healthz',
      startup: '/healthz',
    });
    for (const probe of Object.values(probes)) {
      expect(probe.port).toBe('http');
      expect((await fetch(url + probe.path)).status, probe.path).toBe(200);
    }
    expect((await fetch(`${url}/no-such-route`)).status).toBe(404);
  });
});

function mebibytes(quantity: string): number {
  const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(quantity)!;
  return Number(amount) * (unit === 'Gi' ? 1024 : 1);
}

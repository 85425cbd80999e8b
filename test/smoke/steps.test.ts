import { describe, expect, it } from 'vitest';
import type { SmokeCheck } from '../../src/config/index.ts';
import { runCheck } from '../../src/smoke/index.ts';
import { useTestServer } from './helpers.ts';

type Steps = NonNullable<SmokeCheck['steps']>;

const loopback = useTestServer();

function multiStep(steps: Steps, fields: Partial<SmokeCheck> = {}): SmokeCheck {
  return { name: 'crud', method: 'GET', expect: {}, every: 60_000, timeout: 5_000, steps, ...fields };
}

const run = (check: SmokeCheck, env: NodeJS.ProcessEnv = {}) => runCheck(check, { dispatcher: loopback.agent, env });

describe('multi-step checks', () => {
  it('uses values captured from an earlier response in the url, headers and body of later steps', async () => {
    loopback.server.answer('/items', 201, JSON.stringify({ data: { id: 'it-42', rev: 7 } }));
    loopback.server.answer('/items/it-42', 200, JSON.stringify({ name: 'smoke' }));
    const url = `${loopback.server.origin}/items`;
    const check = multiStep(
      [
        {
          name: 'create',
          url,
          method: 'POST',
          body: { name: 'smoke' },
          expect: { status: 201 },
          capture: { id: 'data.id', rev: 'data.rev' },
        },
        {
          name: 'read',
          url: `${url}/\${captured.id}`,
          headers: { 'X-Rev': 'r${captured.rev}' },
          expect: { json: { name: 'smoke' } },
        },
        {
          name: 'delete',
          url: `${url}/\${captured.id}`,
          method: 'DELETE',
          body: { id: '${captured.id}', rev: '${captured.rev}', note: 'rev ${captured.rev}' },
        },
      ],
      { headers: { Authorization: 'Bearer ${API_TOKEN}' } },
    );

    const result = await run(check, { API_TOKEN: 's3cret' });

    expect(result).toEqual({
      name: 'crud',
      ok: true,
      status: 200,
      latencyMs: expect.any(Number),
      startedAt: expect.any(Date),
    });
    expect(loopback.server.seen).toMatchObject([
      { method: 'POST', url: '/items', body: '{"name":"smoke"}', headers: { authorization: 'Bearer s3cret' } },
      { method: 'GET', url: '/items/it-42', headers: { authorization: 'Bearer s3cret', 'x-rev': 'r7' } },
      {
        method: 'DELETE',
        url: '/items/it-42',
        body: '{"id":"it-42","rev":7,"note":"rev 7"}',
        headers: { 'content-type': 'application/json' },
      },
    ]);
  });

  it('stops at the first failing step, naming it', async () => {
    loopback.server.answer('/items', 201, JSON.stringify({ id: 'it-1' }));
    loopback.server.answer('/items/it-1', 404, 'gone');
    const url = `${loopback.server.origin}/items`;
    const result = await run(
      multiStep([
        { name: 'create', url, method: 'POST', capture: { id: 'id' } },
        { name: 'read', url: `${url}/\${captured.id}` },
        { name: 'delete', url: `${url}/\${captured.id}`, method: 'DELETE' },
      ]),
    );
    expect(result).toMatchObject({
      ok: false,
      status: 404,
      failedStep: 'read',
      error: 'read failed: expected a 2xx status, got 404',
    });
    expect(loopback.server.seen.map((request) => request.method)).toEqual(['POST', 'GET']);
  });

  it('numbers the steps that have no name', async () => {
    loopback.server.answer('/a', 200);
    loopback.server.answer('/b', 500);
    const result = await run(
      multiStep([{ url: `${loopback.server.origin}/a` }, { url: `${loopback.server.origin}/b` }]),
    );
    expect(result).toMatchObject({
      ok: false,
      failedStep: 'step 2',
      error: 'step 2 failed: expected a 2xx status, got 500',
    });
  });

  it('fails the step whose response lacks a value to capture', async () => {
    loopback.server.answer('/items', 201, JSON.stringify({ data: {} }));
    const result = await run(
      multiStep([
        { name: 'create', url: `${loopback.server.origin}/items`, method: 'POST', capture: { item_id: 'data.id' } },
      ]),
    );
    expect(result).toMatchObject({
      ok: false,
      status: 201,
      failedStep: 'create',
      error: 'create failed: JSON body has nothing at data.id to capture as item_id',
    });
  });

  it('URL-encodes a captured value in a url, and never fills in text the server sent', async () => {
    loopback.server.answer('/items', 200, JSON.stringify({ id: 'a b/${API_TOKEN}' }));
    loopback.server.routes.set('/items/a%20b%2F%24%7BAPI_TOKEN%7D', (_req, res) => res.writeHead(200).end());
    const url = `${loopback.server.origin}/items`;
    const result = await run(
      multiStep([
        { url, capture: { id: 'id' } },
        { url: `${url}/\${captured.id}`, headers: { 'X-Id': '${captured.id}' } },
      ]),
      { API_TOKEN: 's3cret' },
    );
    expect(result).toMatchObject({ ok: true });
    expect(loopback.server.seen[1]).toMatchObject({
      url: '/items/a%20b%2F%24%7BAPI_TOKEN%7D',
      headers: { 'x-id': 'a b/${API_TOKEN}' },
    });
  });

  it('bounds all the steps together by the check timeout', async () => {
    loopback.server.answer('/slow', 200, 'ok', 250);
    const began = performance.now();
    const result = await run(
      multiStep([{ url: `${loopback.server.origin}/slow` }, { url: `${loopback.server.origin}/slow` }], {
        timeout: 400,
      }),
    );
    expect(result).toMatchObject({ ok: false, failedStep: 'step 2', error: 'step 2 failed: timed out after 400 ms' });
    expect(performance.now() - began).toBeLessThan(600);
  });

  it('gives each step its own max_ms, and the check the time of all its steps', async () => {
    loopback.server.answer('/slow', 200, 'ok', 150);
    const result = await run(
      multiStep([
        { url: `${loopback.server.origin}/slow`, expect: { max_ms: 250 } },
        { url: `${loopback.server.origin}/slow`, expect: { max_ms: 250 } },
      ]),
    );
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it('uses the check expect for a step that has none', async () => {
    loopback.server.answer('/created', 201);
    const result = await run(multiStep([{ url: `${loopback.server.origin}/created` }], { expect: { status: 200 } }));
    expect(result).toMatchObject({ ok: false, error: 'step 1 failed: expected status 200, got 201' });
  });
});

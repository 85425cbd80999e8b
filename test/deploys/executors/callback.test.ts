import { describe, expect, it } from 'vitest';
import { CALLBACK_PATH, signWebhookBody, verifyCallback } from '../../../src/deploys/index.ts';

const SECRET = 'whsec-test-123';
const NOW = 1_750_000_000;

function signed(body: unknown, { secret = SECRET, timestamp = NOW, nowSec = NOW } = {}) {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    secret: SECRET,
    rawBody,
    timestamp: String(timestamp),
    signature: signWebhookBody(secret, timestamp, rawBody),
    nowSec,
  };
}

describe('verifyCallback', () => {
  it('exports the callback route', () => {
    expect(CALLBACK_PATH).toBe('/deploys/callback');
  });

  it('accepts a correctly signed report', () => {
    const result = verifyCallback(
      signed({
        deploy_id: 42,
        status: 'failed',
        log_url: 'https://ci.example.com/runs/7',
        description: '  smoke test red  ',
      }),
    );
    expect(result).toEqual({
      ok: true,
      report: {
        deployId: 42,
        status: 'failed',
        logUrl: 'https://ci.example.com/runs/7',
        description: 'smoke test red',
      },
    });
  });

  it('accepts running, null optionals, a numeric-string deploy id and ignores extra fields', () => {
    const result = verifyCallback(
      signed({ deploy_id: '7', status: 'running', log_url: null, description: null, step: 3 }),
    );
    expect(result).toEqual({ ok: true, report: { deployId: 7, status: 'running' } });
  });

  it('uses the current time when nowSec is not given', () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const { nowSec: _ignored, ...input } = signed({ deploy_id: 1, status: 'succeeded' }, { timestamp });
    expect(verifyCallback(input)).toMatchObject({ ok: true });
  });

  it('accepts a signature in upper-case hex', () => {
    const input = signed({ deploy_id: 1, status: 'succeeded' });
    expect(verifyCallback({ ...input, signature: input.signature.toUpperCase() })).toMatchObject({ ok: true });
  });

  it('rejects a report signed with another secret', () => {
    expect(verifyCallback(signed({ deploy_id: 42, status: 'succeeded' }, { secret: 'guess' }))).toEqual({
      ok: false,
      status: 401,
      message: expect.stringContaining('does not match'),
    });
  });

  it('rejects a body changed after signing', () => {
    const input = signed({ deploy_id: 42, status: 'failed' });
    const result = verifyCallback({ ...input, rawBody: input.rawBody.replace('failed', 'succeeded') });
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('rejects a signature moved to another timestamp', () => {
    const input = signed({ deploy_id: 42, status: 'succeeded' });
    expect(verifyCallback({ ...input, timestamp: String(NOW + 1) })).toMatchObject({ ok: false, status: 401 });
  });

  it('rejects missing or malformed headers', () => {
    const input = signed({ deploy_id: 42, status: 'succeeded' });
    expect(verifyCallback({ ...input, signature: undefined })).toEqual({
      ok: false,
      status: 401,
      message: 'missing X-Tugboat-Signature-256 header',
    });
    expect(verifyCallback({ ...input, timestamp: undefined })).toEqual({
      ok: false,
      status: 401,
      message: 'missing X-Tugboat-Timestamp header',
    });
    expect(verifyCallback({ ...input, timestamp: '2025-06-15T00:00:00Z' })).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback({ ...input, signature: 'sha256=' })).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback({ ...input, signature: input.signature.replace('sha256=', 'sha1=') })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('rejects stale and future timestamps beyond 5 minutes, accepts within', () => {
    const body = { deploy_id: 42, status: 'succeeded' };
    expect(verifyCallback(signed(body, { timestamp: NOW - 301 }))).toEqual({
      ok: false,
      status: 401,
      message: expect.stringContaining('more than 5 minutes'),
    });
    expect(verifyCallback(signed(body, { timestamp: NOW + 301 }))).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback(signed(body, { timestamp: NOW - 300 }))).toMatchObject({ ok: true });
    expect(verifyCallback(signed(body, { timestamp: NOW + 299 }))).toMatchObject({ ok: true });
  });

  it('rejects a signed body that is not JSON', () => {
    expect(verifyCallback(signed('status=succeeded'))).toEqual({
      ok: false,
      status: 400,
      message: 'body must be JSON',
    });
  });

  it('rejects an unknown status naming the allowed ones', () => {
    expect(verifyCallback(signed({ deploy_id: 42, status: 'success' }))).toEqual({
      ok: false,
      status: 400,
      message: 'status must be one of running, succeeded, failed',
    });
  });

  it('rejects missing or invalid fields, naming them', () => {
    expect(verifyCallback(signed({ status: 'succeeded' }))).toEqual({
      ok: false,
      status: 400,
      message: 'deploy_id is required',
    });
    expect(verifyCallback(signed({ deploy_id: 42 }))).toEqual({
      ok: false,
      status: 400,
      message: 'status is required',
    });
    expect(verifyCallback(signed({ deploy_id: -1, status: 'failed' }))).toEqual({
      ok: false,
      status: 400,
      message: 'deploy_id must be a positive integer',
    });
    expect(verifyCallback(signed({ deploy_id: 4.5, status: 'failed' }))).toMatchObject({ ok: false, status: 400 });
    expect(verifyCallback(signed({ deploy_id: 42, status: 'failed', log_url: 'javascript:alert(1)' }))).toEqual({
      ok: false,
      status: 400,
      message: 'log_url must be an http(s) URL',
    });
    expect(verifyCallback(signed([1, 2]))).toEqual({
      ok: false,
      status: 400,
      message: 'body must be a JSON object with deploy_id and status',
    });
  });

  it('shortens a very long description', () => {
    const result = verifyCallback(signed({ deploy_id: 42, status: 'failed', description: 'e'.repeat(5_000) }));
    expect(result.ok && result.report.description?.length).toBe(500);
    expect(result.ok && result.report.description?.endsWith('…')).toBe(true);
  });
});

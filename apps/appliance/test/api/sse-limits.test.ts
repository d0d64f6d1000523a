// Live event streams are connections held open for as long as the client likes: each user
// (all their sessions) and each API token may hold a few, the appliance a bounded number,
// so that one account, a read-only one too, cannot take them all.
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_STREAM_LIMITS } from '../../src/api/sse.js';
import { type Client, type Harness, startHarness } from './harness.js';

let h: Harness;
const open: AbortController[] = [];

afterEach(async () => {
  for (const controller of open.splice(0)) controller.abort();
  await h?.close();
});

/** Opens a stream; the answer's status, and its error code when refused. */
async function stream(client: Client, path = '/api/v1/status/events'): Promise<{ status: number; code?: string }> {
  const controller = new AbortController();
  const headers: Record<string, string> = client.bearer
    ? { authorization: `Bearer ${client.bearer}` }
    : { cookie: client.cookie as string };
  const response = await fetch(`${h.base}${path}`, { headers, signal: controller.signal });
  if (response.status === 200) {
    open.push(controller);
    return { status: 200 };
  }
  const body = (await response.json()) as { error: { code: string } };
  return { status: response.status, code: body.error.code };
}

async function viewer(name = 'viewer'): Promise<Client> {
  const admin = await h.admin();
  const made = await admin.post(`/api/v1/users?version=${await admin.version()}`, {
    username: name,
    password: `${name}-password`,
    role: 'readonly',
  });
  if (made.status !== 201) throw new Error(made.text);
  const client = h.client();
  await client.login(name, `${name}-password`);
  return client;
}

it('a user gets 429 API_TOO_MANY_STREAMS past its streams, across sessions; others still get theirs', async () => {
  h = await startHarness();
  const reader = await viewer();
  const perOwner = DEFAULT_STREAM_LIMITS.perOwner;
  for (let i = 0; i < perOwner; i++) {
    expect(await stream(reader, i % 2 === 0 ? '/api/v1/status/events' : '/api/v1/logs/follow')).toEqual({
      status: 200,
    });
  }
  expect(await stream(reader)).toEqual({ status: 429, code: 'API_TOO_MANY_STREAMS' });
  expect(await stream(reader, '/api/v1/logs/follow')).toEqual({ status: 429, code: 'API_TOO_MANY_STREAMS' });
  // Another session of the same user counts against the same user.
  const again = h.client();
  await again.login('viewer', 'viewer-password');
  expect(await stream(again)).toEqual({ status: 429, code: 'API_TOO_MANY_STREAMS' });

  // Another user, and a token, each have their own.
  expect(await stream(await h.admin())).toEqual({ status: 200 });
  const admin = await h.admin();
  const token = h.client();
  token.bearer = (await admin.post('/api/v1/tokens', { name: 'dashboard', role: 'readonly' })).body.token;
  expect(await stream(token)).toEqual({ status: 200 });

  // A closed stream gives its place back (once the server has seen the connection close).
  open.shift()?.abort();
  let answer = await stream(reader);
  for (let tries = 0; answer.status !== 200 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer = await stream(reader);
  }
  expect(answer).toEqual({ status: 200 });
  expect(await stream(reader)).toEqual({ status: 429, code: 'API_TOO_MANY_STREAMS' });
});

it('the appliance as a whole serves at most `total` streams', async () => {
  h = await startHarness({ sseLimits: { perOwner: 8, total: 3 } });
  const one = await viewer('one');
  const two = await viewer('two');
  expect(await stream(one)).toEqual({ status: 200 });
  expect(await stream(one)).toEqual({ status: 200 });
  expect(await stream(two)).toEqual({ status: 200 });
  expect(await stream(two)).toEqual({ status: 429, code: 'API_TOO_MANY_STREAMS' });
  expect(await stream(await h.admin())).toEqual({ status: 429, code: 'API_TOO_MANY_STREAMS' });
  // Refused streams take no place: ordinary requests still work.
  expect((await two.get('/api/v1/status')).status).toBe(200);
});

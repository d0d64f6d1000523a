/** Read server-sent events from a URL until `count` events of `event` arrived. */
export async function readEvents(
  url: string,
  headers: Record<string, string>,
  event: string,
  count: number,
  afterOpen?: () => Promise<void>,
): Promise<{ id?: string; data: unknown }[]> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error('not an event stream');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { id?: string; data: unknown }[] = [];
  let buffer = '';
  let opened = false;
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        );
        if (fields.event === event)
          events.push({ ...(fields.id ? { id: fields.id } : {}), data: JSON.parse(fields.data ?? 'null') });
      }
      if (!opened && afterOpen) {
        opened = true;
        await afterOpen();
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

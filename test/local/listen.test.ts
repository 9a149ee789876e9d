import { describe, expect, it } from 'vitest';
import { listen, listenLoopback } from '../../local/listen';

describe('listen', () => {
  it('serves on 127.0.0.1 at a free port, and its close ends a kept-alive connection', async () => {
    const server = await listenLoopback((_req, res) => void res.end('ok'));
    const answer = await fetch(server.url, { headers: { connection: 'keep-alive' } });

    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await answer.text()).toBe('ok');
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('fails with the message it is given when the port is taken, naming how to choose another', async () => {
    const taken = await listenLoopback((_req, res) => void res.end());
    try {
      await expect(
        listen((_req, res) => void res.end(), { port: taken.port, inUse: (port) => `PORT ${port} is taken` }),
      ).rejects.toThrow(`PORT ${taken.port} is taken`);
    } finally {
      await taken.close();
    }
  });
});

import net from 'node:net';
import { listenOnLoopback } from '../../src/fakes/http.ts';

/**
 * A TCP proxy on loopback in front of a server (PostgreSQL, for the outage tests): `cut()` drops
 * every open connection and refuses new ones, as a database restart or a network cut does;
 * `blackhole()` keeps connections open but passes nothing, as a server that vanished without a
 * word does; `restore()` lets connections through again (dropping those a blackhole held).
 */
export class TcpProxy {
  readonly #sockets = new Set<net.Socket>();
  #cut = false;
  #blackhole = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = net.createServer((client) => proxy.#accept(client, target));
    proxy = new TcpProxy(server, Number(new URL(await listenOnLoopback(server)).port));
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String(this.port);
    return routed.toString();
  }

  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  blackhole(): void {
    this.#blackhole = true;
    for (const socket of this.#sockets) socket.unpipe().pause();
  }

  restore(): void {
    if (this.#blackhole) this.cut();
    this.#cut = false;
    this.#blackhole = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #accept(client: net.Socket, target: { host: string; port: number }): void {
    if (this.#cut) return void client.destroy();
    if (this.#blackhole) return void this.#sockets.add(client.pause());
    const upstream = net.connect(target.port, target.host);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.#sockets.delete(socket);
        other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

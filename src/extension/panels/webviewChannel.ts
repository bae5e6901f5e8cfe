/**
 * The host's end of one webview's message channel, free of `vscode` so it is tested in plain node.
 * Every received message is checked by the protocol's guard first; anything else is dropped. The
 * host posts only after the page said `ready`: until then messages wait in order, because a
 * message posted to a page whose script has not started yet is lost.
 */
export class WebviewChannel<Out, In extends { type: string }> {
  private readonly queue: Out[] = [];
  private ready = false;
  private closed = false;

  constructor(
    private readonly send: (m: Out) => void,
    private readonly isIn: (m: unknown) => m is In,
    private readonly onMessage: (m: In) => void,
    private readonly onInvalid: (raw: unknown) => void = () => undefined,
  ) {}

  /** Sends now if the page is ready, queues otherwise; nothing once closed. */
  post(m: Out): void {
    if (this.closed) return;
    if (this.ready) this.send(m);
    else this.queue.push(m);
  }

  /** A message from the page: validated, then `ready` releases the queue before the handler sees it. */
  receive(raw: unknown): void {
    if (this.closed) return;
    if (!this.isIn(raw)) {
      this.onInvalid(raw);
      return;
    }
    if (raw.type === 'ready') {
      this.ready = true;
      for (const m of this.queue.splice(0)) this.send(m);
    }
    this.onMessage(raw);
  }

  /** The panel is gone: drop what waits and ignore everything from now on. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** How many messages wait for `ready`. */
  get pending(): number {
    return this.queue.length;
  }
}

import net from 'node:net';

/**
 * A lean HTTP/1.1 load generator over keep-alive sockets, for loopback benchmarks.
 *
 * The generator shares the machine's cores with the server it measures, so every microsecond
 * and every allocation it spends shows up as the server's latency. node's http client costs
 * several times what the request itself does; this writes pre-built request bytes and reads
 * only the status line and Content-Length of each answer. One request per socket at a time
 * (no pipelining); latency runs from the write to the last byte of the answer.
 */
export class LoadClient {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();

  constructor(
    private readonly port: number,
    private readonly path: string,
    private readonly contentType: string,
  ) {}

  /** Sends one POST; resolves with its latency in ms, rejects on a non-2xx status or a socket error. */
  post(body: string): Promise<number> {
    const head =
      `POST ${this.path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nContent-Type: ${this.contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const conn = this.idle.pop() ?? this.open();
    return new Promise<number>((resolve, reject) => {
      conn.waiter = { t0: performance.now(), resolve, reject };
      conn.socket.write(head + body);
    });
  }

  close(): void {
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Conn {
    const socket = net.connect(this.port, '127.0.0.1');
    socket.setNoDelay(true);
    const conn: Conn = { socket, buf: Buffer.alloc(0), waiter: undefined };
    this.all.add(conn);
    socket.on('data', (chunk) => {
      conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
      const answer = parseAnswer(conn.buf);
      if (!answer) return;
      conn.buf = conn.buf.subarray(answer.length);
      const w = conn.waiter;
      conn.waiter = undefined;
      this.idle.push(conn);
      if (!w) return;
      if (answer.status >= 200 && answer.status < 300) w.resolve(performance.now() - w.t0);
      else w.reject(new Error(`status ${answer.status}`));
    });
    const gone = (err?: Error) => {
      this.all.delete(conn);
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
      conn.waiter?.reject(err ?? new Error('connection closed'));
      conn.waiter = undefined;
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
    return conn;
  }
}

interface Conn {
  socket: net.Socket;
  buf: Buffer;
  waiter: { t0: number; resolve: (ms: number) => void; reject: (e: Error) => void } | undefined;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The status and total length of the first complete answer in `buf`, or undefined if incomplete. */
function parseAnswer(buf: Buffer): { status: number; length: number } | undefined {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  // Only answers that state their length are read (express does for every answer here).
  if (!m) throw new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`);
  const length = end + 4 + Number(m[1]);
  return buf.length >= length ? { status, length } : undefined;
}

import type { IncomingMessage } from 'node:http';
import { BodyError, decodeForm } from './form-decode.ts';

/**
 * Reads and decodes an event body: form-urlencoded (what the event queue sends) or JSON.
 * Every refusal is a BodyError with its status: 413 too large (told by Content-Length before
 * a byte is read, or once the bytes pass the limit), 415 another type, charset or encoding,
 * 400 a body that does not decode.
 */
export async function readEventBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = mediaType(req.headers['content-type']);
  const form = type.name === 'application/x-www-form-urlencoded';
  const json = type.name === 'application/json' || type.name.endsWith('+json');
  if (!form && !json) {
    throw new BodyError(415, 'expected an application/x-www-form-urlencoded or JSON event body');
  }
  if (type.charset && type.charset !== 'utf-8' && type.charset !== 'utf8') {
    throw new BodyError(415, `unsupported charset "${type.charset}"`);
  }
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') throw new BodyError(415, `unsupported content encoding "${encoding}"`);
  const text = (await readBytes(req, maxBytes)).toString('utf8');
  if (form) return decodeForm(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyError(400, `the JSON body does not parse: ${(err as Error).message}`);
  }
}

function mediaType(header: string | undefined): { name: string; charset?: string } {
  if (!header) return { name: '' };
  const [name, ...params] = header.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v) charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { name: name.trim().toLowerCase(), charset };
}

function readBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new BodyError(413, `the request body is larger than ${maxBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: BodyError) => {
      if (done) return;
      done = true;
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) fail(tooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', () => fail(new BodyError(400, 'the request body could not be read')));
    // A client gone before the body ended: nothing to answer, but nothing left waiting either.
    req.on('close', () => fail(new BodyError(400, 'the request was aborted')));
  });
}

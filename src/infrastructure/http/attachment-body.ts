import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { MAX_ATTACHMENT_BYTES } from '../../application/ports/attachment-store.port';

/** The one route whose body is a file's bytes, of the file's own type (POST /api/conversations/:id/attachments). */
const UPLOAD_PATH = /^\/api\/conversations\/[^/?#]+\/attachments\/?(?:\?|$)/;

export function isAttachmentUpload(request: Pick<FastifyRequest, 'method' | 'url'>): boolean {
  return request.method === 'POST' && UPLOAD_PATH.test(request.url);
}

export const attachmentTooLarge = () =>
  new PayloadTooLargeException(`the file is larger than ${MAX_ATTACHMENT_BYTES} bytes (10 MiB), the most one attachment may have; send a smaller file`);

/**
 * Reads an upload's bytes whatever their type, up to MAX_ATTACHMENT_BYTES (the JSON body limit does
 * not apply: a parser that reads the stream itself sets its own). A declared length over the limit
 * is refused before a byte is read; a body that grows past it is cut off.
 */
export function readAttachmentBody(request: FastifyRequest, payload: NodeJS.ReadableStream, done: (error: Error | null, body?: Buffer) => void): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_ATTACHMENT_BYTES) return done(attachmentTooLarge());
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: Error | null, body?: Buffer) => {
    if (finished) return;
    finished = true;
    done(error, body);
  };
  payload.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ATTACHMENT_BYTES) {
      payload.removeAllListeners('data');
      (payload as NodeJS.ReadableStream & { resume(): void }).resume();
      return finish(attachmentTooLarge());
    }
    chunks.push(chunk);
  });
  payload.on('end', () => finish(null, Buffer.concat(chunks)));
  payload.on('error', (error: Error) => finish(error));
}

import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { Latchkey } from "../latchkey.js";
import { type NodeListenerOptions, remoteInfo, toWebRequest } from "./node.js";

/**
 * `latchkey/fastify`: a plugin serving Latchkey under the paths it serves (`latchkey.prefixes`):
 * `app.register(latchkeyFastify, { latchkey })`. Other paths stay Fastify's.
 */

export interface LatchkeyFastifyOptions extends NodeListenerOptions {
  latchkey: Latchkey;
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export const latchkeyFastify: FastifyPluginAsync<LatchkeyFastifyOptions> = async (fastify, options) => {
  const { latchkey } = options;
  const forwarded: NodeListenerOptions = { trustForwardedProto: options.trustForwardedProto ?? false };
  // Latchkey reads request bodies itself (its own size limit and JSON errors), so inside this
  // plugin's scope Fastify leaves the body stream untouched, whatever the content type.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser("*", (_request, _payload, done) => done(null));

  for (const prefix of latchkey.prefixes) {
    fastify.route({
      method: METHODS,
      url: `${prefix}/*`,
      exposeHeadRoute: false,
      async handler(request, reply) {
        const response = await latchkey.handler(
          toWebRequest(request.raw, forwarded),
          remoteInfo(request.raw),
        );
        return sendWebResponse(reply, response);
      },
    });
  }
};

async function sendWebResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") reply.header(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header("set-cookie", cookies);
  if (response.body === null) return reply.send();
  // Latchkey's answers are small JSON documents: one buffer, sent with its length.
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

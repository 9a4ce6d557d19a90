import type { ServerResponse } from "node:http";
import type { Refusal } from "./caller.js";

/** A refusal as node:http answers it (Express's response is node's too). */
export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = JSON.stringify(refusal.body);
  res.writeHead(refusal.status, {
    ...refusal.headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

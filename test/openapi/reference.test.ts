import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { deref, documentOf, EVERY_FEATURE, type Json, operations } from "./documents.js";

/**
 * The served document against allauth's own spec (allauth-openapi.yaml beside this file), with every
 * feature on: each allauth operation is there for each client tree allauth serves it in, takes the
 * fields and parameters allauth's takes, documents the statuses allauth's documents, and its 200
 * answer has every property allauth marks required.
 */

const reference: Json = parse(readFileSync(new URL("./allauth-openapi.yaml", import.meta.url), "utf8"));

/** Where allauth's spec is wrong about allauth's server, and the document follows the server. */
const SPEC_ERRORS: Record<string, string> = {
  "get /auth/webauthn/signup 200 data.request_options":
    "allauth's server answers `creation_options` (the passkey is being created), not request options",
};

/** allauth's path relative to its tree, and the client trees it is in. */
function splitPath(path: string): { relative: string; clients: string[] } {
  const match = /^\/_allauth\/(\{client\}|browser|app)\/v1(\/.*)$/.exec(path);
  if (!match) throw new Error(`unexpected allauth path ${path}`);
  return { relative: match[2]!, clients: match[1] === "{client}" ? ["browser", "app"] : [match[1]!] };
}

/** allauth's operations, one per client tree. */
const referenceOperations = operations(reference).flatMap(([path, method, operation]) => {
  const { relative, clients } = splitPath(path);
  return clients.map((client) => ({ relative, method, client, operation, name: `${method} ${relative}` }));
});

let ours: Json;
beforeAll(async () => {
  ours = await documentOf(EVERY_FEATURE);
});

/** Our operation for an allauth one: under {client} (with the client among its values), or in the tree itself. */
function ourOperation(relative: string, method: string, client: string): Json {
  const shared = ours.paths[`/_allauth/{client}/v1${relative}`]?.[method];
  if (shared) {
    const clientParameter = shared.parameters
      .map((p: Json) => deref(ours, p))
      .find((p: Json) => p.in === "path");
    return clientParameter.schema.enum.includes(client) ? shared : undefined;
  }
  return ours.paths[`/_allauth/${client}/v1${relative}`]?.[method];
}

/** The property names a request body's schema lists (through references and combinations). */
function propertyNames(doc: Json, schema: Json): string[] {
  const s = deref(doc, schema);
  if (!s) return [];
  const branches = s.oneOf ?? s.anyOf ?? s.allOf;
  if (branches) return [...new Set(branches.flatMap((b: Json) => propertyNames(doc, b)))] as string[];
  return Object.keys(s.properties ?? {});
}

/**
 * The properties a schema requires, as paths ("data.user.id", "data[].email"), through references,
 * allOf and array items; a oneOf or anyOf is not entered (which branch applies is not known).
 */
function requiredPaths(doc: Json, schema: Json, prefix = ""): string[] {
  const s = deref(doc, schema);
  if (!s || s.oneOf || s.anyOf) return [];
  if (s.allOf) return s.allOf.flatMap((part: Json) => requiredPaths(doc, part, prefix));
  if (s.type === "array") return requiredPaths(doc, s.items, `${prefix}[]`);
  return (s.required ?? []).flatMap((key: string) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...requiredPaths(doc, s.properties?.[key], path)];
  });
}

/** Whether a schema has the property at `path` (in any branch of a combination). */
function hasPath(doc: Json, schema: Json, path: string[]): boolean {
  const s = deref(doc, schema);
  if (!s) return false;
  if (path.length === 0) return true;
  if ([...(s.allOf ?? []), ...(s.oneOf ?? []), ...(s.anyOf ?? [])].some((b: Json) => hasPath(doc, b, path))) {
    return true;
  }
  const [head, ...rest] = path;
  if (head === "[]") return s.items !== undefined && hasPath(doc, s.items, rest);
  return s.properties?.[head!] !== undefined && hasPath(doc, s.properties[head!], rest);
}

function jsonSchemaOf(doc: Json, response: Json): Json {
  return deref(doc, response)?.content?.["application/json"]?.schema;
}

describe("the OpenAPI document against allauth's spec", () => {
  it("reads allauth's spec (the comparison is not vacuous)", () => {
    expect(referenceOperations.length).toBeGreaterThan(90);
  });

  it("has every allauth operation in each client tree allauth has it in", () => {
    const missing = referenceOperations
      .filter(({ relative, method, client }) => !ourOperation(relative, method, client))
      .map(({ name, client }) => `${name} (${client})`);
    expect(missing).toEqual([]);
  });

  it("takes every request body field allauth's operations take, in the same format", () => {
    const problems: string[] = [];
    for (const { relative, method, client, operation, name } of referenceOperations) {
      const theirs = deref(reference, operation.requestBody);
      if (!theirs) continue;
      const ourBody = deref(ours, ourOperation(relative, method, client)?.requestBody);
      for (const [type, media] of Object.entries<Json>(theirs.content)) {
        const ourMedia = ourBody?.content?.[type];
        if (!ourMedia) {
          problems.push(`${name}: no ${type} body`);
          continue;
        }
        const accepted = new Set(propertyNames(ours, ourMedia.schema));
        for (const field of propertyNames(reference, media.schema)) {
          if (!accepted.has(field)) problems.push(`${name}: no body field ${field}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("reads the headers and query parameters allauth's operations read", () => {
    const problems: string[] = [];
    for (const { relative, method, client, operation, name } of referenceOperations) {
      const ourParameters = (ourOperation(relative, method, client)?.parameters ?? []).map((p: Json) =>
        deref(ours, p),
      );
      for (const p of (operation.parameters ?? []).map((p: Json) => deref(reference, p))) {
        // The session token is a security scheme in our document, not a parameter.
        if (p.in === "path" || (p.in === "header" && p.name === "X-Session-Token")) continue;
        const found = ourParameters.some(
          (o: Json) => o.in === p.in && o.name.toLowerCase() === p.name.toLowerCase(),
        );
        if (!found) problems.push(`${name}: no ${p.in} parameter ${p.name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("documents every status allauth documents", () => {
    const problems: string[] = [];
    for (const { relative, method, client, operation, name } of referenceOperations) {
      const ourResponses = ourOperation(relative, method, client)?.responses ?? {};
      for (const status of Object.keys(operation.responses)) {
        if (!ourResponses[status]) problems.push(`${name} (${client}): no ${status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("answers 200 with every property allauth requires", () => {
    const problems: string[] = [];
    let compared = 0;
    for (const { relative, method, client, operation, name } of referenceOperations) {
      const theirs = jsonSchemaOf(reference, operation.responses["200"]);
      if (!theirs) continue;
      const ourSchema = jsonSchemaOf(ours, ourOperation(relative, method, client)?.responses["200"]);
      for (const path of requiredPaths(reference, theirs)) {
        compared += 1;
        const key = `${name} 200 ${path}`;
        if (key in SPEC_ERRORS) continue;
        if (
          !hasPath(
            ours,
            ourSchema,
            path.split(/\.|(?=\[\])|(?<=\[\])/).filter((p) => p !== ""),
          )
        ) {
          problems.push(`${key} (${client})`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  });

  it("each known error of allauth's spec is still one (the exception is not stale)", () => {
    for (const key of Object.keys(SPEC_ERRORS)) {
      const [method, relative, , path] = key.split(" ");
      const theirs = referenceOperations.find((o) => o.method === method && o.relative === relative)!;
      expect(requiredPaths(reference, jsonSchemaOf(reference, theirs.operation.responses["200"]))).toContain(
        path,
      );
      const ourSchema = jsonSchemaOf(ours, ourOperation(relative!, method!, "browser").responses["200"]);
      expect(hasPath(ours, ourSchema, path!.split("."))).toBe(false);
    }
  });
});

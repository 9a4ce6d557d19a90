import { readFileSync } from "node:fs";
import { z } from "zod";
import type { MountedApi } from "../base/pipeline.js";
import type { Gate, Method, PageRoute, Route } from "../base/route.js";
import { Client } from "../core/enums.js";
import { Answers, ForbiddenResponse, type ResponseDoc, type Responses } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";

/**
 * The OpenAPI 3.1 document of the API a Latchkey serves, built from what serves it: the route
 * table (inputs, gates, rate limits and declared answers), the pages outside the API base and the
 * compact API's table, for the options in force (a route that is off is absent). Schemas are the
 * zod schemas themselves, converted by zod; shapes with allauth's names are listed once under
 * `components`. It is JSON-compatible data (the YAML form is the same data).
 */

export type OpenApiDocument = { openapi: string; paths: Record<string, PathItem> } & Record<string, unknown>;
type JsonSchema = Record<string, unknown>;
type PathItem = Record<string, Operation | unknown[]>;
type Operation = Record<string, unknown>;

/** What the document is built from. */
export interface DocumentSource {
  options: ResolvedOptions;
  routes: readonly Route[];
  pages: readonly PageRoute[];
  mounted: MountedApi | null;
}

/** The tags, in the order the docs page lists them, and which paths (relative to /{client}/v1) each takes. */
const TAGS: readonly { name: string; description: string; paths?: readonly string[] }[] = [
  {
    name: "Configuration",
    description: "What the frontend needs to know about this server.",
    paths: ["/config"],
  },
  {
    name: "Authentication: Current Session",
    description: "The session: who is logged in, and logging out.",
    paths: ["/auth/session"],
  },
  {
    name: "Authentication: Account",
    description: "Login and signup with a password, email and phone verification, reauthentication.",
    paths: ["/auth/login", "/auth/signup", "/auth/email/", "/auth/phone/", "/auth/reauthenticate"],
  },
  {
    name: "Authentication: Password Reset",
    description: "Password reset by link or by code.",
    paths: ["/auth/password/"],
  },
  {
    name: "Authentication: Login By Code",
    description: "Login by a mailed or texted code.",
    paths: ["/auth/code/"],
  },
  {
    name: "Authentication: Providers",
    description: "Login and signup with a social provider.",
    paths: ["/auth/provider/"],
  },
  {
    name: "Authentication: 2FA",
    description: "The second factor of a login, trusted browsers.",
    paths: ["/auth/2fa/"],
  },
  {
    name: "Authentication: WebAuthn: Signup",
    description: "Signup with a passkey.",
    paths: ["/auth/webauthn/signup"],
  },
  {
    name: "Authentication: WebAuthn: Login",
    description: "Passkey login, and WebAuthn as a second factor or for reauthentication.",
    paths: ["/auth/webauthn/"],
  },
  { name: "Account: Email", description: "The user's email addresses.", paths: ["/account/email"] },
  { name: "Account: Phone", description: "The user's phone number.", paths: ["/account/phone"] },
  { name: "Account: Password", description: "Changing the password.", paths: ["/account/password/"] },
  {
    name: "Account: Providers",
    description: "The connected provider accounts.",
    paths: ["/account/providers"],
  },
  {
    name: "Account: WebAuthn",
    description: "The user's WebAuthn credentials.",
    paths: ["/account/authenticators/webauthn"],
  },
  {
    name: "Account: 2FA",
    description: "TOTP, recovery codes and the authenticator list.",
    paths: ["/account/authenticators", "/account/authenticators/"],
  },
  { name: "Sessions", description: "The user's sessions.", paths: ["/auth/sessions"] },
  {
    name: "Tokens",
    description: "App client tokens (refresh, and the JWKS with the JWT strategy).",
    paths: ["/tokens/"],
  },
  {
    name: "Provider callbacks",
    description:
      "Outside the API base: where providers send the browser back (register these URLs at the providers).",
  },
  {
    name: "Compact API",
    description:
      "The compact Bearer-token API: plain JSON bodies, an access token in `Authorization: Bearer`, a refresh token; served with or without the trailing slash.",
  },
];
const OTHER_TAG = "Other";

/** The first tag one of whose paths is `path` (or, ending in "/", a prefix of it). */
function tagOf(path: string): string {
  return (
    TAGS.find((t) => t.paths?.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p)))?.name ??
    OTHER_TAG
  );
}

/** The answer of a CSRF refusal (browser client, unsafe methods). */
const csrfFailed: ResponseDoc = {
  name: "CsrfFailed",
  description:
    "Browser client: the CSRF check failed (`csrf_failed`): send the CSRF cookie's value in the CSRF header, from a trusted origin.",
  schema: ForbiddenResponse,
};

const UNSAFE: ReadonlySet<Method> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let packageVersion: string | undefined;

/** The package's version (the document's version). */
function version(): string {
  if (packageVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version?: string;
      };
      packageVersion = pkg.version ?? "0.0.0";
    } catch {
      packageVersion = "0.0.0";
    }
  }
  return packageVersion;
}

/** Builds the document. */
export function openApiDocument(source: DocumentSource): OpenApiDocument {
  const o = source.options;
  const schemas = new SchemaSet();
  const answers = new ResponseSet(schemas);
  const paths: Record<string, PathItem> = {};
  const operationIds = new Set<string>();
  const usedTags = new Set<string>();
  const jwt = o.tokens.strategy === "jwt";

  const add = (path: string, method: string, operation: Operation) => {
    paths[path] ??= {};
    const item = paths[path];
    if (item[method]) throw new Error(`the OpenAPI document has ${method.toUpperCase()} ${path} twice`);
    const id = operation.operationId as string;
    if (operationIds.has(id)) throw new Error(`two operations of the OpenAPI document are named ${id}`);
    operationIds.add(id);
    usedTags.add((operation.tags as string[])[0]!);
    item[method] = operation;
  };

  const served = o.clients as readonly Client[];
  for (const route of source.routes) {
    const trees = (route.clients ?? [Client.BROWSER, Client.APP]).filter((c) => served.includes(c));
    if (trees.length === 0) continue;
    const bothTrees = trees.length === 2;
    const path = `${o.basePath}/${bothTrees ? "{client}" : trees[0]}/v1${route.path}`;
    const browser = trees.includes(Client.BROWSER);
    const app = trees.includes(Client.APP);
    const parameters: unknown[] = bothTrees ? [{ $ref: "#/components/parameters/Client" }] : [];
    const input = route.input ?? route.reads?.body;
    let requestBody: unknown;
    if (route.method === "GET") {
      if (route.input && route.inputFromHeaders) {
        const json = schemas.input(route.input);
        for (const [field, header] of Object.entries(route.inputFromHeaders)) {
          parameters.push(parameter("header", headerName(header), json, field));
        }
      }
    } else if (input) {
      requestBody = body(schemas.input(input), route.body === "form" ? FORM : JSON_TYPE);
    }
    if (route.reads?.query) {
      const json = schemas.input(route.reads.query);
      for (const name of Object.keys((json.properties as object | undefined) ?? {})) {
        parameters.push(parameter("query", name, json, name));
      }
    }
    const unsafe = UNSAFE.has(route.method);
    const responses: Record<number, ResponseDoc> = { ...route.responses };
    for (const [status, doc] of gateAnswers(route.gate)) responses[status] ??= doc;
    if (route.rateLimit) responses[429] ??= Answers.tooManyRequests;
    if (unsafe) responses[400] ??= Answers.error;
    if (browser && unsafe) responses[403] ??= csrfFailed;
    if (app) responses[410] ??= Answers.sessionGone;

    // Each alternative is one way to be admitted: the browser's session cookie (with the CSRF header
    // on unsafe JSON requests; a form post carries its token in the body), or the app's token. A
    // route open to anonymous callers also takes a browser request with only the CSRF header, or
    // one with nothing.
    const loggedIn = route.gate?.kind === "authenticated";
    const headerCsrf = unsafe && (route.body ?? "json") === "json";
    const security: Record<string, string[]>[] = [];
    if (browser) security.push({ sessionCookie: [], ...(headerCsrf ? { csrfToken: [] } : {}) });
    if (app) security.push({ sessionToken: [] }, ...(jwt ? [{ accessToken: [] }] : []));
    if (!loggedIn) {
      if (browser && headerCsrf) security.push({ csrfToken: [] });
      if (app || !headerCsrf) security.push({});
    }
    add(path, route.method.toLowerCase(), {
      tags: [tagOf(route.path)],
      summary: route.summary,
      ...describe([
        trees.length < served.length ? `The ${trees[0]} client only.` : null,
        gateText(route.gate),
        route.rateLimit ? `Rate limit: \`${route.rateLimit}\` (rateLimits.actions).` : null,
      ]),
      operationId: operationId(route.method, route.path),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses: answers.of(responses),
      security,
    });
  }

  for (const page of source.pages) {
    add(templated(page.path), page.method.toLowerCase(), {
      tags: ["Provider callbacks"],
      summary: page.summary,
      operationId: operationId(page.method, page.path, "page"),
      ...pathParameters(page.path),
      responses: answers.of(page.responses ?? {}),
    });
  }

  const mounted = source.mounted;
  if (mounted) {
    for (const route of mounted.routes) {
      const doc = route.doc;
      const path = `${mounted.basePath}${templated(route.path)}/`;
      add(path, route.method.toLowerCase(), {
        tags: ["Compact API"],
        summary: doc.summary,
        operationId: operationId(route.method, route.path, "compact"),
        ...pathParameters(route.path),
        ...(doc.input ? { requestBody: body(schemas.input(doc.input), JSON_TYPE) } : {}),
        responses: answers.of(doc.responses),
        security: doc.bearer ? [{ compactAccessToken: [] }] : [{}],
      });
    }
  }

  return {
    openapi: "3.1.0",
    info: {
      title: `${o.siteName}: authentication API`,
      version: version(),
      description: INFO.replaceAll("{base}", o.basePath),
    },
    tags: [
      ...TAGS.filter((t) => usedTags.has(t.name)).map(({ name, description }) => ({ name, description })),
      ...(usedTags.has(OTHER_TAG) ? [{ name: OTHER_TAG }] : []),
    ],
    paths,
    components: {
      schemas: sorted(schemas.components),
      responses: sorted(answers.components),
      parameters: {
        Client: {
          name: "client",
          in: "path",
          required: true,
          description:
            "The client tree: `browser` (session cookie and CSRF header) or `app` (X-Session-Token, or with the JWT strategy an access token).",
          schema: { type: "string", enum: [...served] },
        },
      },
      securitySchemes: securitySchemes(o, source.mounted !== null),
    },
  };
}

const INFO = `Headless authentication, wire-compatible with django-allauth's headless API v1.

The API has two client trees: \`{base}/browser/v1/…\` (the session cookie; unsafe methods send the CSRF cookie's value in the CSRF header) and \`{base}/app/v1/…\` (the \`X-Session-Token\` header, handed out in \`meta.session_token\`). Every answer is JSON in the envelope \`{status, data, meta, errors}\` (keys without a value are omitted); errors are \`{message, code, param}\`. Beside what each operation lists, any API path may answer 404 (\`not_found\`), 405 (\`method_not_allowed\`), 413 (\`payload_too_large\`), 500 (\`internal_error\`) and 503 (\`service_unavailable\`, with Retry-After) in the same envelope.`;

/** How callers prove who they are, with the names the options give the cookies and headers. */
function securitySchemes(o: ResolvedOptions, compact: boolean): Record<string, unknown> {
  const schemes: Record<string, unknown> = {};
  if (o.clients.includes(Client.BROWSER)) {
    schemes.sessionCookie = {
      type: "apiKey",
      in: "cookie",
      name: o.sessions.cookieName,
      description: "Browser client: the session cookie (HttpOnly; set by the answers that log in).",
    };
    schemes.csrfToken = {
      type: "apiKey",
      in: "header",
      name: o.csrf.headerName,
      description: `Browser client, unsafe methods: the value of the \`${o.csrf.cookieName}\` cookie (every answer sets it).`,
      // Where a client reads the value (the docs page's "try it" does).
      "x-cookie-name": o.csrf.cookieName,
    };
  }
  if (o.clients.includes(Client.APP)) {
    schemes.sessionToken = {
      type: "apiKey",
      in: "header",
      name: "X-Session-Token",
      description: "App client: the session token from `meta.session_token`.",
    };
    if (o.tokens.strategy === "jwt") {
      schemes.accessToken = {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description: "App client with the JWT strategy: the access token from `meta.access_token`.",
      };
    }
  }
  if (compact) {
    schemes.compactAccessToken = {
      type: "http",
      scheme: "bearer",
      description: "Compact API: the access_token of a login or refresh answer.",
    };
  }
  return schemes;
}

/** The answers a gate gives a caller it does not admit. */
function gateAnswers(gate: Gate | undefined): [number, ResponseDoc][] {
  if (!gate) return [];
  switch (gate.kind) {
    case "authenticated":
      return [[401, Answers.authentication]];
    case "stage":
      return gate.otherwise === "conflict" ? [[409, Answers.conflict]] : [[401, Answers.authentication]];
    case "custom":
      return gate.anonymous === 409 ? [[409, Answers.conflict]] : [[401, Answers.authentication]];
  }
}

function gateText(gate: Gate | undefined): string | null {
  if (!gate) return null;
  switch (gate.kind) {
    case "authenticated":
      return "Needs a logged-in user.";
    case "stage":
      return `Needs a login pending at \`${gate.stage}\`.`;
    case "custom":
      return null;
  }
}

function describe(lines: (string | null)[]): { description?: string } {
  const text = lines.filter((l): l is string => l !== null).join(" ");
  return text ? { description: text } : {};
}

const JSON_TYPE = "application/json";
const FORM = "application/x-www-form-urlencoded";

function body(schema: JsonSchema, type: string) {
  const required = Array.isArray(schema.required) && schema.required.length > 0;
  return { required, content: { [type]: { schema } } };
}

/** A header or query parameter: the input field's schema and whether it is required. */
function parameter(location: "header" | "query", name: string, input: JsonSchema, field: string) {
  const properties = (input.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(input.required) && input.required.includes(field);
  const { description, ...schema } = properties[field] ?? {};
  return {
    name,
    in: location,
    required,
    ...(description ? { description } : {}),
    schema,
  };
}

/** "x-password-reset-key" → "X-Password-Reset-Key". */
function headerName(header: string): string {
  return header.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** ":name" segments → "{name}". */
function templated(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, "{$1}");
}

/** The `parameters` of a path's `:name` segments (nothing when it has none). */
function pathParameters(path: string): { parameters?: unknown[] } {
  const parameters = [...path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  return parameters.length > 0 ? { parameters } : {};
}

/** "POST", "/auth/password/request" → "postAuthPasswordRequest". */
function operationId(method: string, path: string, prefix = ""): string {
  const words = path
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "")
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  const name = method.toLowerCase() + words.join("");
  return prefix ? prefix + name[0]!.toUpperCase() + name.slice(1) : name;
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The JSON Schemas of the document: each zod schema converted by zod, the named ones (`.meta({ id })`)
 * moved to `components.schemas` and referred to there.
 */
class SchemaSet {
  readonly components: Record<string, JsonSchema> = {};
  /** Conversions done, by direction: the shared answers are converted once, not once per route. */
  private readonly converted = {
    input: new Map<z.ZodType, JsonSchema>(),
    output: new Map<z.ZodType, JsonSchema>(),
  };

  /** What a client sends (zod's input type). */
  input(schema: z.ZodType): JsonSchema {
    return this.convert(schema, "input");
  }

  /** What the server answers (zod's output type). */
  output(schema: z.ZodType): JsonSchema {
    return this.convert(schema, "output");
  }

  private convert(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const cached = this.converted[io].get(schema);
    if (cached) return cached;
    const converted = z.toJSONSchema(schema, {
      io,
      target: "draft-2020-12",
      // Transforms and custom checks have no JSON Schema: their input is documented as any value.
      unrepresentable: "any",
      override: ({ jsonSchema }) => tidy(jsonSchema as JsonSchema),
    }) as JsonSchema;
    const { $schema: _, $defs, ...root } = converted;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const json = relinked(def) as JsonSchema;
      const known = this.components[name];
      if (known && JSON.stringify(known) !== JSON.stringify(json)) {
        throw new Error(`two different schemas are named ${name} in the OpenAPI document`);
      }
      this.components[name] = json;
    }
    const result = relinked(root) as JsonSchema;
    this.converted[io].set(schema, result);
    return result;
  }
}

/** Integer literals are integers; zod's bounds of safe integers say nothing a client needs. */
function tidy(json: JsonSchema): void {
  if (json.type === "number" && Number.isInteger(json.const)) json.type = "integer";
  if (json.type === "integer") {
    if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
    if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
  }
}

/** The value with its `#/$defs/…` references pointing at `#/components/schemas/…`. */
function relinked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relinked);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")
        ? `#/components/schemas/${v.slice("#/$defs/".length)}`
        : relinked(v);
  }
  return out;
}

/** The documented answers: named ones listed once under `components.responses`. */
class ResponseSet {
  readonly components: Record<string, unknown> = {};

  constructor(private readonly schemas: SchemaSet) {}

  of(responses: Responses): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const statuses = Object.keys(responses)
      .map(Number)
      .sort((a, b) => a - b);
    for (const status of statuses) {
      const doc = responses[status]!;
      const response = this.response(doc);
      if (!doc.name) {
        out[status] = response;
        continue;
      }
      const known = this.components[doc.name];
      if (known && JSON.stringify(known) !== JSON.stringify(response)) {
        throw new Error(`two different answers are named ${doc.name} in the OpenAPI document`);
      }
      this.components[doc.name] = response;
      out[status] = { $ref: `#/components/responses/${doc.name}` };
    }
    return out;
  }

  private response(doc: ResponseDoc): Record<string, unknown> {
    if (doc.redirect) {
      return {
        description: doc.description,
        headers: { Location: { description: "Where to go.", schema: { type: "string" } } },
      };
    }
    if (doc.html)
      return { description: doc.description, content: { "text/html": { schema: { type: "string" } } } };
    return {
      description: doc.description,
      ...(doc.schema ? { content: { [JSON_TYPE]: { schema: this.schemas.output(doc.schema) } } } : {}),
    };
  }
}

// The docs page: renders the OpenAPI document served beside it (openapi.json) as a list of
// operations grouped by tag, each with its parameters, request body and answers, and a "try it"
// form that sends the request to this same server. It loads nothing else (the page's Content
// Security Policy allows only its own origin), and builds every element with textContent, never
// from HTML: the document's text cannot inject markup.

const METHODS = ["get", "post", "put", "patch", "delete"];
/** How deep nested schemas are expanded (deeper parts show their type only). */
const MAX_DEPTH = 6;

/** @type {any} */
let spec;

/** An element with attributes (`text` sets its text) and children. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Text whose `backquoted` parts are code (the document's descriptions use them). */
function prose(text, tag = "p") {
  const node = el(tag);
  String(text)
    .split("`")
    .forEach((part, i) => {
      node.append(i % 2 === 1 ? el("code", { text: part }) : part);
    });
  return node;
}

/** The object a `$ref` points at (a JSON pointer into the document). */
function resolve(value) {
  let current = value;
  for (let hops = 0; current?.$ref && hops < 10; hops++) {
    current = current.$ref
      .slice(2)
      .split("/")
      .reduce((node, key) => node?.[key.replaceAll("~1", "/").replaceAll("~0", "~")], spec);
  }
  return current ?? {};
}

function refName(ref) {
  return ref.slice(ref.lastIndexOf("/") + 1);
}

/** A schema's type in a few words: "string", "User", "Flow[]", "\"totp\" | \"webauthn\"". */
function typeLabel(schema) {
  if (!schema || typeof schema !== "object") return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return branches.map(typeLabel).join(" | ");
  if (schema.allOf) return schema.allOf.map(typeLabel).join(" & ");
  if (schema.type === "array") return `${typeLabel(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type === "object" && !schema.properties && schema.additionalProperties) {
    return `{[key]: ${typeLabel(schema.additionalProperties)}}`;
  }
  return schema.type ?? "any";
}

/** The parts of a schema: its properties, or those of its items, its branches or the schema it names. */
function schemaParts(schema, depth, seen) {
  if (!schema || depth > MAX_DEPTH) return null;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    if (seen.has(name)) return null;
    return schemaParts(resolve(schema), depth, new Set([...seen, name]));
  }
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    const list = el("ul", { class: "schema" });
    for (const [name, property] of Object.entries(schema.properties)) {
      list.append(propertyItem(name, property, required.has(name), depth, seen));
    }
    return list;
  }
  if (schema.type === "array") return schemaParts(schema.items, depth, seen);
  const branches = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (branches) {
    const expanded = branches
      .map((branch) => [branch, schemaParts(branch, depth + 1, seen)])
      .filter(([, parts]) => parts);
    if (expanded.length === 0) return null;
    const list = el("ul", { class: "schema" });
    const word = schema.allOf ? "all of" : "one of";
    for (const [branch, parts] of expanded) {
      list.append(el("li", {}, el("span", { class: "type", text: `${word}: ${typeLabel(branch)}` }), parts));
    }
    return list;
  }
  return null;
}

function propertyItem(name, schema, required, depth, seen) {
  const description = schema.description ?? resolve(schema).description;
  const item = el(
    "li",
    {},
    el("code", { class: "name", text: name }),
    " ",
    el("span", { class: "type", text: typeLabel(schema) }),
    required ? el("span", { class: "required", text: " required" }) : null,
    description ? prose(` — ${description}`, "span") : null,
  );
  const parts = schemaParts(schema, depth + 1, seen);
  // A named schema is folded: it is listed in full where it first matters to the reader.
  if (parts && schema.$ref) item.append(el("details", {}, el("summary", { text: "fields" }), parts));
  else if (parts) item.append(parts);
  return item;
}

/** A request or answer schema: its type, its parts, and the JSON Schema itself on demand. */
function schemaBlock(schema) {
  return el(
    "div",
    { class: "schema-block" },
    el("span", { class: "type", text: typeLabel(schema) }),
    schemaParts(schema, 0, new Set()),
    el(
      "details",
      { class: "raw" },
      el("summary", { text: "JSON Schema" }),
      el("pre", { text: JSON.stringify(schema, null, 2) }),
    ),
  );
}

/** A JSON value to start a request body from: each property with an empty value of its type. */
function example(schema, depth = 0) {
  const s = resolve(schema);
  if (depth > 3) return null;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return example(branches.find((b) => resolve(b).type !== "null") ?? branches[0], depth);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (s.properties || type === "object") {
    return Object.fromEntries(
      Object.entries(s.properties ?? {}).map(([name, p]) => [name, example(p, depth + 1)]),
    );
  }
  return { array: [], string: "", integer: 0, number: 0, boolean: false }[type] ?? null;
}

function cookie(name) {
  for (const pair of document.cookie.split(";")) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** The "try it" form of an operation: its parameters, its JSON body, and the answer once sent. */
function tryIt(path, method, operation) {
  const parameters = (operation.parameters ?? []).map(resolve);
  const json = resolve(operation.requestBody).content?.["application/json"];
  const form = el("form", { class: "try" });
  const fields = new Map();
  for (const p of parameters) {
    const name = `${p.in}:${p.name}`;
    const input = p.schema?.enum
      ? el("select", {}, ...p.schema.enum.map((v) => el("option", { text: v })))
      : el("input", { spellcheck: "false", placeholder: p.required ? "required" : "" });
    fields.set(name, input);
    form.append(el("label", {}, `${p.name} (${p.in}) `, input));
  }
  let body;
  if (json) {
    body = el("textarea", { rows: "6", spellcheck: "false", "aria-label": "JSON body" });
    body.value = JSON.stringify(example(json.schema), null, 2);
    form.append(el("label", { class: "body" }, "JSON body", body));
  }
  const answer = el("pre", { class: "answer", hidden: true, "aria-live": "polite" });
  form.append(el("button", { type: "submit", text: "Send" }), answer);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    answer.hidden = false;
    answer.textContent = "…";
    try {
      answer.textContent = await send(path, method, operation, parameters, fields, body?.value);
    } catch (err) {
      answer.textContent = `Not sent: ${err instanceof Error ? err.message : err}`;
    }
  });
  return form;
}

async function send(path, method, operation, parameters, fields, bodyText) {
  let url = path;
  const query = new URLSearchParams();
  const headers = {};
  for (const p of parameters) {
    const value = fields.get(`${p.in}:${p.name}`).value;
    if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(value));
    else if (p.in === "query" && value !== "") query.set(p.name, value);
    else if (p.in === "header" && value !== "") headers[p.name] = value;
  }
  if (query.toString() !== "") url += `?${query}`;
  const init = { method: method.toUpperCase(), headers, credentials: "same-origin" };
  if (bodyText !== undefined) {
    JSON.parse(bodyText); // a typo is reported here, not as the server's 400
    headers["Content-Type"] = "application/json";
    init.body = bodyText;
  }
  const schemes = spec.components?.securitySchemes ?? {};
  const tree = /\/(browser|app)\/v1\//.exec(url)?.[1];
  const sessionToken = document.getElementById("session-token").value.trim();
  const accessToken = document.getElementById("access-token").value.trim();
  if (tree === "browser" && method !== "get") {
    const csrf = schemes.csrfToken;
    const cookieName = csrf?.["x-cookie-name"] ?? "csrftoken";
    // Every answer of the browser tree sets the CSRF cookie: ask for one when there is none yet.
    if (cookie(cookieName) === null) await fetch(url.replace(/\/v1\/.*$/, "/v1/config"));
    headers[csrf?.name ?? "X-CSRFToken"] = cookie(cookieName) ?? "";
  }
  if (tree === "app" && sessionToken) headers[schemes.sessionToken?.name ?? "X-Session-Token"] = sessionToken;
  const bearer = (operation.security ?? []).some((s) => s.accessToken || s.compactAccessToken);
  if (bearer && accessToken) headers.Authorization = `Bearer ${accessToken}`;

  const response = await fetch(url, init);
  // 410: the app's session token names no session any more; the next request goes without it.
  if (tree === "app" && response.status === 410) document.getElementById("session-token").value = "";
  const text = await response.text();
  let shown = text;
  try {
    const data = JSON.parse(text);
    shown = JSON.stringify(data, null, 2);
    keepTokens(data);
  } catch {
    // not JSON: shown as it came
  }
  return `${init.method} ${url}\n${response.status} ${response.statusText}\n\n${shown}`;
}

/** Fills in the credentials an answer hands out (allauth's meta, the compact API's tokens). */
function keepTokens(data) {
  const session = data?.meta?.session_token;
  const access = data?.meta?.access_token ?? data?.access_token;
  if (typeof session === "string") document.getElementById("session-token").value = session;
  if (typeof access === "string") document.getElementById("access-token").value = access;
}

function operationView(path, method, operation) {
  const id = operation.operationId;
  const view = el(
    "details",
    { class: "operation", id },
    el(
      "summary",
      {},
      el("span", { class: `method ${method}`, text: method.toUpperCase() }),
      el("code", { class: "path", text: path }),
      el("span", { class: "summary", text: operation.summary ?? "" }),
    ),
  );
  if (operation.description) view.append(prose(operation.description));
  const parameters = (operation.parameters ?? []).map(resolve);
  if (parameters.length > 0) {
    view.append(el("h4", { text: "Parameters" }));
    const list = el("ul", { class: "schema" });
    for (const p of parameters)
      list.append(propertyItem(`${p.name} (${p.in})`, p.schema ?? {}, p.required, 0, new Set()));
    view.append(list);
  }
  const requestBody = resolve(operation.requestBody);
  for (const [type, media] of Object.entries(requestBody.content ?? {})) {
    view.append(el("h4", { text: `Request body (${type})` }), schemaBlock(media.schema));
  }
  view.append(el("h4", { text: "Answers" }));
  for (const [status, reference] of Object.entries(operation.responses ?? {})) {
    const response = resolve(reference);
    // Folded: most answers are the shared ones (errors, the 401 flows) and would bury the rest.
    const item = el(
      "details",
      { class: "response" },
      el("summary", {}, el("strong", { text: status }), " ", prose(response.description ?? "", "span")),
    );
    for (const media of Object.values(response.content ?? {})) item.append(schemaBlock(media.schema));
    view.append(item);
  }
  const jsonAnswers = Object.values(operation.responses ?? {}).some(
    (r) => resolve(r).content?.["application/json"],
  );
  const otherBody = Object.keys(requestBody.content ?? {}).some((type) => type !== "application/json");
  view.append(el("h4", { text: "Try it" }));
  if (jsonAnswers && !otherBody) view.append(tryIt(path, method, operation));
  else
    view.append(
      el("p", { text: "Not from here: the browser itself sends this request (a form post or a redirect)." }),
    );
  return view;
}

function render() {
  const title = `${spec.info?.title ?? "API"} ${spec.info?.version ?? ""}`.trim();
  document.title = title;
  document.getElementById("title").textContent = title;
  const description = document.getElementById("description");
  for (const paragraph of String(spec.info?.description ?? "").split("\n\n"))
    description.append(prose(paragraph));
  document.getElementById("credentials").hidden = false;

  const byTag = new Map((spec.tags ?? []).map((tag) => [tag.name, { tag, operations: [] }]));
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const name = operation.tags?.[0] ?? "Other";
      if (!byTag.has(name)) byTag.set(name, { tag: { name }, operations: [] });
      byTag.get(name).operations.push([path, method, operation]);
    }
  }
  const nav = document.getElementById("tags");
  const main = document.getElementById("operations");
  main.replaceChildren();
  [...byTag.values()].forEach(({ tag, operations }, i) => {
    if (operations.length === 0) return;
    const anchor = `tag-${i}`;
    nav.append(el("a", { href: `#${anchor}`, text: tag.name }));
    const section = el("section", { class: "tag", id: anchor }, el("h2", { text: tag.name }));
    if (tag.description) section.append(prose(tag.description));
    for (const [path, method, operation] of operations)
      section.append(operationView(path, method, operation));
    main.append(section);
  });
  // A link to an operation opens it.
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target instanceof HTMLDetailsElement) target.open = true;
}

async function start() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("openapi.json", { credentials: "same-origin" });
    if (!response.ok) throw new Error(`openapi.json answered ${response.status}`);
    spec = await response.json();
  } catch (err) {
    status.textContent = `The OpenAPI document could not be loaded: ${err instanceof Error ? err.message : err}`;
    return;
  }
  render();
}

start();

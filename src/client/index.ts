/**
 * `latchkey/client`: the clients of Latchkey's APIs for browsers, React Native and Node (through
 * `fetch`; no dependencies, no server code): `AuthAPI` for the compact Bearer-token API, and
 * `createAllauthClient` for the allauth API (browser and app kinds).
 */
export * from "./allauth.js";
export * from "./answers.js";
export * from "./auth-api.js";
export * from "./storage.js";

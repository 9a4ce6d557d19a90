import { describe, expect, it } from "vitest";
import {
  DEFAULT_PASSWORD_POLICY,
  exceedsMaximumLengthRatio,
  type PasswordPolicy,
  quickRatio,
  validatePassword,
} from "./validators.js";

const SIMILAR_USERNAME = {
  code: "password_too_similar",
  message: "The password is too similar to the username.",
};
const SIMILAR_EMAIL = {
  code: "password_too_similar",
  message: "The password is too similar to the email address.",
};
const TOO_SHORT = {
  code: "password_too_short",
  message: "This password is too short. It must contain at least 8 characters.",
};
const TOO_COMMON = { code: "password_too_common", message: "This password is too common." };
const NUMERIC = { code: "password_entirely_numeric", message: "This password is entirely numeric." };

const NO_USER = {};
const only = (overrides: Partial<PasswordPolicy>): PasswordPolicy => ({
  minLength: 0,
  userAttributeSimilarity: false,
  commonPasswords: false,
  numeric: false,
  ...overrides,
});

describe("DEFAULT_PASSWORD_POLICY", () => {
  it("matches Django's defaults", () => {
    expect(DEFAULT_PASSWORD_POLICY).toEqual({
      minLength: 8,
      userAttributeSimilarity: 0.7,
      commonPasswords: true,
      numeric: true,
    });
  });
});

describe("quickRatio (difflib.SequenceMatcher.quick_ratio)", () => {
  // Expected values computed with CPython 3.11's difflib.
  const cases: [string, string, number][] = [
    ["latchkeyuser1", "latchkeyuser", 0.96],
    ["correct horse battery", "latchkeyuser", 0.5454545454545454],
    ["testclient@example.com", "testclient", 0.625],
    ["example.com", "example", 0.7777777777777778],
    ["abc", "", 0],
    ["", "", 1],
    ["aabbcc", "abcabc", 1],
    ["héllo wörld", "wörld", 0.625],
    ["😀😀a", "😀b", 0.4],
    ["password", "drowssap", 1],
    ["xyz", "abc", 0],
    ["mississippi", "misp", 0.5333333333333333],
  ];
  it.each(cases)("quick_ratio(%j, %j) = %d", (a, b, expected) => {
    expect(quickRatio(a, b)).toBe(expected);
  });
});

describe("exceedsMaximumLengthRatio", () => {
  it("skips values that are tiny next to the password", () => {
    expect(exceedsMaximumLengthRatio("a".repeat(100), 0.7, "abc")).toBe(true);
    expect(exceedsMaximumLengthRatio("a".repeat(29), 0.7, "abc")).toBe(false);
    expect(exceedsMaximumLengthRatio("password", 0.7, "")).toBe(true);
    expect(exceedsMaximumLengthRatio("latchkeyuser1", 0.7, "latchkeyuser")).toBe(false);
  });
});

describe("UserAttributeSimilarityValidator", () => {
  const policy = only({ userAttributeSimilarity: 0.7 });
  const user = { username: "testclient", email: "testclient@example.com" };

  it("flags a password too similar to the username", async () => {
    expect(await validatePassword("latchkeyuser1", policy, { username: "latchkeyuser" })).toEqual([
      SIMILAR_USERNAME,
    ]);
    expect(await validatePassword("testclient", policy, user)).toEqual([SIMILAR_USERNAME]);
    expect(await validatePassword("TestClient", policy, { username: "testclient" })).toEqual([
      SIMILAR_USERNAME,
    ]);
  });

  it("accepts a password unlike the username", async () => {
    expect(await validatePassword("correct horse battery", policy, { username: "latchkeyuser" })).toEqual([]);
  });

  it("compares with the whole email address and its parts", async () => {
    expect(await validatePassword("example.com", policy, user)).toEqual([SIMILAR_EMAIL]);
    expect(await validatePassword("example", policy, { email: "someone@example.com" })).toEqual([
      SIMILAR_EMAIL,
    ]);
    expect(
      await validatePassword("testclient@example.com", only({ userAttributeSimilarity: 1 }), user),
    ).toEqual([SIMILAR_EMAIL]);
    expect(
      await validatePassword("someone", only({ userAttributeSimilarity: 1 }), {
        email: "Someone@Example.com",
      }),
    ).toEqual([SIMILAR_EMAIL]);
  });

  it("reports one problem, for the username before the email, as Django stops at the first match", async () => {
    expect(await validatePassword("testclient", policy, user)).toEqual([SIMILAR_USERNAME]);
  });

  it("ignores missing attributes and can be turned off", async () => {
    expect(await validatePassword("testclient", policy, NO_USER)).toEqual([]);
    expect(await validatePassword("testclient", policy, { username: null, email: "" })).toEqual([]);
    expect(await validatePassword("testclient", only({}), user)).toEqual([]);
  });

  it("honours max_similarity", async () => {
    // quick_ratio("correct horse battery", "latchkeyuser") is 0.545...
    expect(
      await validatePassword("correct horse battery", only({ userAttributeSimilarity: 0.5 }), {
        username: "latchkeyuser",
      }),
    ).toEqual([SIMILAR_USERNAME]);
  });

  it("skips the comparison for a password far longer than the value", async () => {
    expect(await validatePassword("ab".repeat(50), policy, { username: "ab" })).toEqual([]);
  });
});

describe("MinimumLengthValidator", () => {
  it("rejects passwords shorter than the minimum with Django's message", async () => {
    expect(await validatePassword("1234567", only({ minLength: 8 }), NO_USER)).toEqual([TOO_SHORT]);
    expect(await validatePassword("12345678", only({ minLength: 8 }), NO_USER)).toEqual([]);
  });

  it("uses the singular for a minimum of one", async () => {
    expect(await validatePassword("", only({ minLength: 1 }), NO_USER)).toEqual([
      {
        code: "password_too_short",
        message: "This password is too short. It must contain at least 1 character.",
      },
    ]);
  });

  it("counts code points as Python's len() does", async () => {
    expect(await validatePassword("🔑🔑🔑🔑", only({ minLength: 5 }), NO_USER)).toHaveLength(1);
    expect(await validatePassword("🔑🔑🔑🔑🔑", only({ minLength: 5 }), NO_USER)).toEqual([]);
  });
});

describe("CommonPasswordValidator", () => {
  it("rejects common passwords", async () => {
    expect(await validatePassword("password123", only({ commonPasswords: true }), NO_USER)).toEqual([
      TOO_COMMON,
    ]);
    expect(await validatePassword("qwerty", only({ commonPasswords: true }), NO_USER)).toEqual([TOO_COMMON]);
    expect(await validatePassword("Godzilla", only({ commonPasswords: true }), NO_USER)).toEqual([
      TOO_COMMON,
    ]);
  });

  it("accepts uncommon passwords and can be turned off", async () => {
    expect(await validatePassword("a-safe-password", only({ commonPasswords: true }), NO_USER)).toEqual([]);
    expect(await validatePassword("password123", only({ commonPasswords: false }), NO_USER)).toEqual([]);
  });
});

describe("NumericPasswordValidator", () => {
  const policy = only({ numeric: true });
  it("rejects all-digit passwords", async () => {
    expect(await validatePassword("42424242", policy, NO_USER)).toEqual([NUMERIC]);
    // str.isdigit() also accepts other scripts' digits and superscripts.
    expect(await validatePassword("٤٢٤٢٤٢٤٢", policy, NO_USER)).toEqual([NUMERIC]);
    expect(await validatePassword("42²", policy, NO_USER)).toEqual([NUMERIC]);
  });

  it("accepts anything that is not only digits", async () => {
    for (const password of ["42424242a", "4242 4242", "-42424242", "4242.4242", "", "½"]) {
      expect(await validatePassword(password, policy, NO_USER), password).toEqual([]);
    }
  });
});

describe("validatePassword with the default policy", () => {
  it("accepts a good password", async () => {
    expect(
      await validatePassword("correct horse battery", DEFAULT_PASSWORD_POLICY, {
        username: "latchkeyuser",
        email: "someone@example.com",
      }),
    ).toEqual([]);
  });

  it("reports every problem in Django's validator order", async () => {
    expect(await validatePassword("123456", DEFAULT_PASSWORD_POLICY, { username: "123456" })).toEqual([
      SIMILAR_USERNAME,
      {
        code: "password_too_short",
        message: "This password is too short. It must contain at least 8 characters.",
      },
      TOO_COMMON,
      NUMERIC,
    ]);
    expect(await validatePassword("12345678", DEFAULT_PASSWORD_POLICY, NO_USER)).toEqual([
      TOO_COMMON,
      NUMERIC,
    ]);
    expect(await validatePassword("qwerty", DEFAULT_PASSWORD_POLICY, NO_USER)).toEqual([
      TOO_SHORT,
      TOO_COMMON,
    ]);
  });
});

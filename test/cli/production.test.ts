import { describe, expect, it } from "vitest";
import { productionProblems } from "../../src/cli/production.js";
import { resolveOptions } from "../../src/latchkey.js";

describe("productionProblems", () => {
  it("names the development provider and an insecure MFA trust cookie", () => {
    const problems = productionProblems(
      resolveOptions({
        database: { url: "postgres://latchkey@db.internal/latchkey" },
        socialaccount: { providers: { dummy: {} } },
        mfa: { trust: { enabled: true } },
      }),
      "/srv/app",
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^socialaccount\.providers has the development provider \(dummy\)/),
        expect.stringMatching(/^mfa\.trust\.cookieSecure is false/),
      ]),
    );
  });

  it("says nothing of them when the provider is real and the cookie secure", () => {
    const problems = productionProblems(
      resolveOptions({
        socialaccount: { providers: { github: { apps: [{ clientId: "id", secret: "s" }] } } },
        mfa: { trust: { enabled: true, cookieSecure: true } },
      }),
      "/srv/app",
    ).join("\n");
    expect(problems).not.toContain("socialaccount.providers");
    expect(problems).not.toContain("mfa.trust");
  });
});

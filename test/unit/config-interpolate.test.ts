import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/config/index.js";
import { interpolateString } from "../../src/config/interpolate.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";

function interpolated(text: string, env: NodeJS.ProcessEnv): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = interpolateString(text, env, (name) => missing.push(name));
  return { value, missing };
}

describe("interpolateString", () => {
  test("replaces ${VAR} and ${VAR:-default}", () => {
    assert.deepEqual(interpolated("${A}/${B:-two}/${C:-}", { A: "one" }), {
      value: "one/two/",
      missing: [],
    });
  });

  test("a set variable wins over its default; an empty one counts as unset", () => {
    assert.equal(interpolated("${A:-x}", { A: "set" }).value, "set");
    assert.equal(interpolated("${A:-x}", { A: "" }).value, "x");
    assert.deepEqual(interpolated("${A}", { A: "" }).missing, ["A"]);
  });

  test("reports every variable that has neither a value nor a default", () => {
    assert.deepEqual(interpolated("${ONE}-${TWO}-${THREE:-3}", {}).missing, ["ONE", "TWO"]);
  });

  test("$${ is a literal ${, and text without references is unchanged", () => {
    assert.equal(interpolated("$${A} ${A}", { A: "a" }).value, "${A} a");
    assert.equal(interpolated("plain $HOME {x}", { HOME: "h" }).value, "plain $HOME {x}");
  });
});

describe("parseYamlSource", () => {
  const text = `webhook:
  url: \${URL}
  headers:
    \${KEY}: \${VALUE:-v}
accounts:
  - name: a
    stream: S
  - name: b
    token: \${TOKEN}
`;

  test("interpolates values, not keys", () => {
    const source = parseYamlSource(text, "c.yaml", {
      env: { URL: "http://h/x", TOKEN: "t", KEY: "k" },
    });
    assert.deepEqual(source.value, {
      webhook: { url: "http://h/x", headers: { "${KEY}": "v" } },
      accounts: [
        { name: "a", stream: "S" },
        { name: "b", token: "t" },
      ],
    });
  });

  test("a missing variable is reported with its dotted key and line", () => {
    assert.throws(
      () => parseYamlSource(text, "c.yaml", { env: { URL: "http://h/x" } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.issues.map((i) => [i.key, i.source]),
          [["accounts[1].token", "c.yaml:9"]],
        );
        assert.match(error.message, /TOKEN is not set/);
        return true;
      },
    );
  });

  test("a value holding YAML syntax stays one value", () => {
    const source = parseYamlSource("password: ${P}\nuser: u\n", "c.yaml", {
      env: { P: "a: b # c\nd: e" },
    });
    assert.deepEqual(source.value, { password: "a: b # c\nd: e", user: "u" });
  });

  test("locates keys and list items by line, falling back to the nearest ancestor", () => {
    const source = parseYamlSource(text, "c.yaml", { env: { URL: "u", TOKEN: "t" } });
    assert.equal(source.locate(["webhook"]), "c.yaml:1");
    assert.equal(source.locate(["webhook", "url"]), "c.yaml:2");
    assert.equal(source.locate(["accounts", 1]), "c.yaml:8");
    assert.equal(source.locate(["accounts", 1, "token"]), "c.yaml:9");
    assert.equal(source.locate(["accounts", 1, "consumer"]), "c.yaml:8");
    assert.equal(source.locate(["log", "level"]), undefined);
  });

  test("empty keys mean unset, not null", () => {
    const source = parseYamlSource("dlq:\n  # subject: x\nlog:\n  level: info\n", "c.yaml", {
      env: {},
    });
    assert.deepEqual(source.value, { log: { level: "info" } });
  });

  test("invalid YAML is one ConfigError with the line, quoting no source text", () => {
    const broken = "webhook:\n  secret: whsec_c2VjcmV0\n  - oops: [\n";
    assert.throws(
      () => parseYamlSource(broken, "c.yaml", { env: {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.length === 1 &&
        !error.message.includes("whsec_c2VjcmV0"),
    );
    assert.throws(
      () => parseYamlSource("a: 1\nb: [unclosed\n", "c.yaml", { env: {} }),
      (error: unknown) =>
        error instanceof ConfigError && /^c\.yaml:\d+$/.test(error.issues[0]?.source ?? ""),
    );
    assert.throws(
      () => parseYamlSource("a: 1\na: 2\n", "c.yaml", { env: {} }),
      /c\.yaml:2\).*unique/,
    );
    assert.throws(() => parseYamlSource("a: *nowhere\n", "c.yaml", { env: {} }), ConfigError);
    assert.throws(() => parseYamlSource("- a\n- b\n", "c.yaml", { env: {} }), /top level/);
  });
});
